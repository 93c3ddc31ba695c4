import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRobots, robotsUserAgentToken } from '../../src/audit/robots';

const UA = 'Sitesweep/0.1 (+https://github.com/sitesweep/sitesweep)';
const ROBOTS_URL = 'https://example.com/robots.txt';
const u = (path: string): string => `https://example.com${path}`;

void test('robotsUserAgentToken: product token of a UA string', () => {
  assert.equal(robotsUserAgentToken(UA), 'Sitesweep');
  assert.equal(robotsUserAgentToken('Googlebot-Image/1.0'), 'Googlebot-Image');
  assert.equal(robotsUserAgentToken('  '), '*');
});

void test('parseRobots: our UA group wins over *, case-insensitive', () => {
  const r = parseRobots(ROBOTS_URL, [
    'User-agent: *',
    'Disallow: /',
    '',
    'User-agent: sitesweep',
    'Disallow: /private',
  ].join('\n'), 200);
  assert.equal(r.found, true);
  assert.equal(r.unreachable, false);
  assert.equal(r.isAllowed(u('/public'), UA), true);
  assert.equal(r.isAllowed(u('/private/x'), UA), false);
  assert.equal(r.isAllowed(u('/public'), 'OtherBot/2.0'), false);
});

void test('parseRobots: falls back to * when no group names us', () => {
  const r = parseRobots(ROBOTS_URL, 'User-agent: googlebot\nDisallow: /\n\nUser-agent: *\nDisallow: /tmp/\n', 200);
  assert.equal(r.isAllowed(u('/tmp/a'), UA), false);
  assert.equal(r.isAllowed(u('/a'), UA), true);
});

void test('parseRobots: longest match wins, Allow beats a shorter Disallow and ties', () => {
  const r = parseRobots(ROBOTS_URL, [
    'User-agent: *',
    'Disallow: /shop',
    'Allow: /shop/public',
    'Disallow: /shop/public/secret',
    'Disallow: /*.pdf$',
    'Allow: /tie',
    'Disallow: /tie',
  ].join('\n'), 200);
  assert.equal(r.isAllowed(u('/shop/cart'), UA), false);
  assert.equal(r.isAllowed(u('/shop/public/item'), UA), true);
  assert.equal(r.isAllowed(u('/shop/public/secret/1'), UA), false);
  assert.equal(r.isAllowed(u('/docs/a.pdf'), UA), false);
  assert.equal(r.isAllowed(u('/docs/a.pdf?x=1'), UA), true);
  assert.equal(r.isAllowed(u('/tie'), UA), true);
});

void test('parseRobots: query strings count, other hostnames are not governed, scheme is not compared', () => {
  const r = parseRobots(ROBOTS_URL, 'User-agent: *\nDisallow: /*?sort=\n', 200);
  assert.equal(r.isAllowed(u('/list?sort=asc'), UA), false);
  assert.equal(r.isAllowed(u('/list'), UA), true);
  assert.equal(r.isAllowed('http://example.com/list?sort=asc', UA), false);
  assert.equal(r.isAllowed('https://other.org/list?sort=asc', UA), true);
});

void test('parseRobots: crawl-delay per group, in ms', () => {
  const r = parseRobots(ROBOTS_URL, 'User-agent: *\nCrawl-delay: 2.5\n\nUser-agent: Sitesweep\nCrawl-delay: 1\n', 200);
  assert.equal(r.crawlDelayMs(UA), 1000);
  assert.equal(r.crawlDelayMs('Other/1'), 2500);
  const none = parseRobots(ROBOTS_URL, 'User-agent: *\nDisallow:\n', 200);
  assert.equal(none.crawlDelayMs(UA), null);
  const bad = parseRobots(ROBOTS_URL, 'User-agent: *\nCrawl-delay: soon\n', 200);
  assert.equal(bad.crawlDelayMs(UA), null);
});

void test('parseRobots: sitemaps listed (absolute http(s) only, de-duplicated)', () => {
  const r = parseRobots(ROBOTS_URL, [
    'Sitemap: https://example.com/sitemap.xml',
    'sitemap: https://example.com/news.xml # news',
    'Sitemap: https://example.com/sitemap.xml',
    'Sitemap: /relative.xml',
    'Sitemap: ftp://example.com/s.xml',
    'User-agent: *',
    'Disallow:',
  ].join('\n'), 200);
  assert.deepEqual(r.sitemaps, ['https://example.com/sitemap.xml', 'https://example.com/news.xml']);
});

void test('parseRobots: invalid lines reported with line numbers (Lighthouse rules)', () => {
  const text = [
    '# comment line', //                     1 ok
    'Disallow: /early', //                   2 before any user-agent
    '', //                                    3 ok
    'User-agent: *', //                      4 ok
    'Disallow: /ok # trailing comment', //   5 ok
    'Disalow: /typo', //                     6 unknown directive
    'just some words', //                    7 no colon
    'Sitemap: /relative.xml', //             8 invalid sitemap URL
    'Sitemap: mailto:x@example.com', //      9 bad protocol
    'Allow: public', //                     10 pattern must start with / or *
    'Disallow: /a$b', //                    11 $ not at the end
    'User-agent:', //                       12 empty user-agent
    'Crawl-delay: 1', //                    13 ok
    'Clean-param: ref /', //                14 ok
    'Host: example.com', //                 15 ok
    'Content-Signal: search=yes', //        16 ok
    'Sitemap: ftp://example.com/s.xml', //  17 ok for Lighthouse
    '   ', //                               18 ok
  ].join('\r\n');
  const r = parseRobots(ROBOTS_URL, text, 200);
  assert.deepEqual(r.invalidLines.map((l) => l.line), [2, 6, 7, 8, 9, 10, 11, 12]);
  assert.equal(r.invalidLineCount, 8);
  assert.deepEqual(r.invalidLines[0], { line: 2, text: 'Disallow: /early', reason: 'No user-agent specified' });
  assert.equal(r.invalidLines[1].reason, 'Unknown directive');
  assert.equal(r.invalidLines[2].reason, 'Syntax not understood');
  // The rules still work around the bad lines.
  assert.equal(r.isAllowed(u('/ok'), UA), false);
  assert.equal(r.isAllowed(u('/early'), UA), true);
});

void test('parseRobots: an HTML page served as robots.txt yields capped findings, not thousands', () => {
  const html = `<!doctype html>\n${'<p>hello world</p>\n'.repeat(500)}`;
  const r = parseRobots(ROBOTS_URL, html, 200);
  assert.equal(r.invalidLineCount, 501);
  assert.equal(r.invalidLines.length, 100);
  assert.equal(r.isAllowed(u('/'), UA), true);
});

void test('parseRobots: a BOM does not hide the first group', () => {
  const r = parseRobots(ROBOTS_URL, '\uFEFFUser-agent: *\nDisallow: /x\n', 200);
  assert.equal(r.isAllowed(u('/x'), UA), false);
  assert.equal(r.invalidLineCount, 0);
});

void test('parseRobots: 404 (and other 4xx) allows all and is not unreachable', () => {
  for (const status of [404, 410, 401, 403]) {
    const r = parseRobots(ROBOTS_URL, '<html>Not found</html>', status);
    assert.equal(r.isAllowed(u('/anything'), UA), true);
    assert.equal(r.found, false);
    assert.equal(r.unreachable, false);
    assert.deepEqual(r.invalidLines, []);
    assert.deepEqual(r.sitemaps, []);
    assert.equal(r.crawlDelayMs(UA), null);
  }
});

void test('parseRobots: 5xx, 429 and no response allow all but flag unreachable', () => {
  for (const status of [500, 503, 429, null]) {
    const r = parseRobots(ROBOTS_URL, status === null ? null : 'User-agent: *\nDisallow: /', status);
    assert.equal(r.unreachable, true, String(status));
    assert.equal(r.found, false);
    assert.equal(r.status, status);
    assert.equal(r.isAllowed(u('/anything'), UA), true);
  }
});

void test('parseRobots: empty 200 body allows all', () => {
  const r = parseRobots(ROBOTS_URL, null, 200);
  assert.equal(r.found, true);
  assert.equal(r.isAllowed(u('/x'), UA), true);
});

void test('parseRobots: remembered answers stay per user agent and per URL, past the memo bound', () => {
  const r = parseRobots(ROBOTS_URL, 'User-agent: Sitesweep\nDisallow: /a\n\nUser-agent: *\nDisallow: /b\n', 200);
  for (let round = 0; round < 2; round++) {
    assert.equal(r.isAllowed(u('/a/style.css'), UA), false);
    assert.equal(r.isAllowed(u('/a/style.css'), 'OtherBot/1.0'), true);
    assert.equal(r.isAllowed(u('/b/style.css'), UA), true);
    assert.equal(r.isAllowed(u('/b/style.css'), 'OtherBot/1.0'), false);
  }
  // More distinct URLs than the memo holds: every answer is still the file's.
  for (let i = 0; i < 5000; i++) assert.equal(r.isAllowed(u(`/${i % 2 ? 'a' : 'c'}/${i}.png`), UA), i % 2 === 0);
  assert.equal(r.isAllowed(u('/a/style.css'), UA), false);
});
