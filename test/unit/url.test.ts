import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSameSite, normalizeUrl, registrableDomain, siteHostOf, urlHash } from '../../src/audit/url';
import { hostOfSiteUrl } from '../../src/workflows/contracts';

const BASE = 'https://example.com/dir/page.html?x=1';

void test('normalizeUrl: normalization table', () => {
  const cases: Array<[raw: string, base: string | undefined, expected: string | null]> = [
    ['HTTP://Example.COM/Path/To', undefined, 'http://example.com/Path/To'],
    ['https://example.com:443/a', undefined, 'https://example.com/a'],
    ['http://example.com:80/a', undefined, 'http://example.com/a'],
    ['http://example.com:8080/a', undefined, 'http://example.com:8080/a'],
    ['https://example.com/a#section', undefined, 'https://example.com/a'],
    ['https://example.com/a?b=1#x?y', undefined, 'https://example.com/a?b=1'],
    ['https://example.com/a?', undefined, 'https://example.com/a'],
    ['https://example.com/a?#top', undefined, 'https://example.com/a'],
    ['https://example.com', undefined, 'https://example.com/'],
    ['https://example.com/a/', undefined, 'https://example.com/a/'],
    ['https://example.com/a?utm_source=x&utm_medium=y', undefined, 'https://example.com/a'],
    ['https://example.com/a?z=1&utm_campaign=c&a=2&gclid=g&fbclid=f', undefined, 'https://example.com/a?z=1&a=2'],
    ['https://example.com/a?msclkid=1&mc_cid=2&mc_eid=3&_ga=4&UTM_Term=5&keep', undefined, 'https://example.com/a?keep'],
    ['https://example.com/a?q=a%20b&r=c+d', undefined, 'https://example.com/a?q=a%20b&r=c+d'],
    ['https://example.com/a?b=2&&a=1', undefined, 'https://example.com/a?b=2&&a=1'],
    ['https://example.com/a?utm_id=1&&a=1', undefined, 'https://example.com/a?a=1'],
    ['other.html', BASE, 'https://example.com/dir/other.html'],
    ['../up', BASE, 'https://example.com/up'],
    ['/root?utm_source=nl', BASE, 'https://example.com/root'],
    ['?p=2', BASE, 'https://example.com/dir/page.html?p=2'],
    ['#frag', BASE, 'https://example.com/dir/page.html?x=1'],
    ['//cdn.example.org/x.js', BASE, 'https://cdn.example.org/x.js'],
    ['  /spaced  ', BASE, 'https://example.com/spaced'],
    ['javascript:void(0)', BASE, null],
    ['mailto:a@example.com', BASE, null],
    ['tel:+123', BASE, null],
    ['data:text/html,hi', BASE, null],
    ['ftp://example.com/file', undefined, null],
    ['http://', undefined, null],
    ['not a url', undefined, null],
    ['/relative-without-base', undefined, null],
    ['/x', 'not a base', null],
    ['https://Bücher.example/Straße', undefined, 'https://xn--bcher-kva.example/Stra%C3%9Fe'],
  ];
  for (const [raw, base, expected] of cases) {
    assert.equal(normalizeUrl(raw, base), expected, `${raw} (base ${base ?? 'none'})`);
  }
});

void test('normalizeUrl: stripParams adds to the defaults', () => {
  const url = 'https://example.com/p?sessionid=9&ref=x&id=3&utm_source=a';
  assert.equal(normalizeUrl(url, undefined, { stripParams: ['SessionID', /^re/] }), 'https://example.com/p?id=3');
  // A global regexp must not carry lastIndex from one key to the next.
  assert.equal(normalizeUrl('https://e.com/?sid=1&sid=2&k=1', undefined, { stripParams: [/sid/g] }), 'https://e.com/?k=1');
});

void test('normalizeUrl: is idempotent', () => {
  for (const raw of ['HTTPS://A.com:443/x?utm_x=1&b=2#f', 'http://a.com/?', 'https://bücher.example/a b']) {
    const once = normalizeUrl(raw);
    assert.ok(once);
    assert.equal(normalizeUrl(once), once);
  }
});

void test('urlHash: sha1 hex, stable', () => {
  const h = urlHash('https://example.com/');
  assert.match(h, /^[0-9a-f]{40}$/);
  assert.equal(h, urlHash('https://example.com/'));
  assert.notEqual(h, urlHash('https://example.com/a'));
});

void test('siteHostOf: host with non-default port, lower-cased', () => {
  assert.equal(siteHostOf('https://WWW.Example.com/x'), 'www.example.com');
  assert.equal(siteHostOf('https://example.com:443/'), 'example.com');
  assert.equal(siteHostOf('http://127.0.0.1:4000/'), '127.0.0.1:4000');
  assert.equal(siteHostOf('mailto:a@b.c'), null);
  assert.equal(siteHostOf('nope'), null);
});

void test('isSameSite: host equality, subdomains only when asked', () => {
  const on = { subdomainsInternal: true };
  assert.equal(isSameSite('https://example.com/a', 'example.com'), true);
  assert.equal(isSameSite('http://EXAMPLE.com/a', 'example.com'), true);
  assert.equal(isSameSite('https://www.example.com/a', 'example.com'), false);
  assert.equal(isSameSite('https://www.example.com/a', 'example.com', on), true);
  assert.equal(isSameSite('https://blog.example.com/a', 'example.com', on), true);
  assert.equal(isSameSite('https://example.com/a', 'www.example.com'), false);
  assert.equal(isSameSite('https://example.com/a', 'www.example.com', on), true);
  assert.equal(isSameSite('https://shop.example.com/a', 'www.example.com', on), true);
  assert.equal(isSameSite('https://notexample.com/a', 'example.com', on), false);
  assert.equal(isSameSite('https://example.com.evil.org/a', 'example.com', on), false);
  assert.equal(isSameSite('http://127.0.0.1:4001/', '127.0.0.1:4000'), false);
  assert.equal(isSameSite('http://127.0.0.1:4000/x', '127.0.0.1:4000'), true);
  assert.equal(isSameSite('http://a.localhost:4001/', 'localhost:4000', on), false);
  assert.equal(isSameSite('http://a.localhost:4000/', 'localhost:4000', on), true);
  assert.equal(isSameSite('mailto:x@example.com', 'example.com'), false);
});

void test('normalizeUrl: fast enough for every link of every page', () => {
  const base = 'https://example.com/section/page';
  const links = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? `/p/${i}?utm_source=x&a=${i}` : `item-${i}#top`));
  const t0 = performance.now();
  for (const l of links) normalizeUrl(l, base);
  const perLinkUs = ((performance.now() - t0) * 1000) / links.length;
  // Generous bound (a few µs is typical): catches an accidental O(n²) or per-call allocation blow-up.
  assert.ok(perLinkUs < 50, `${perLinkUs.toFixed(2)} µs per link`);
});

void test('isSameSite with subdomains: the registrable domain by the public suffix list, not by stripping www.', () => {
  const on = { subdomainsInternal: true };
  // A site on a subdomain covers its whole registrable domain.
  assert.equal(isSameSite('https://example.co.uk/a', 'shop.example.co.uk', on), true);
  assert.equal(isSameSite('https://blog.example.co.uk/a', 'shop.example.co.uk', on), true);
  assert.equal(isSameSite('https://other.co.uk/a', 'example.co.uk', on), false, 'co.uk is a public suffix, not a site');
  assert.equal(isSameSite('https://www2.shop.example.com/a', 'shop.example.com', on), true);
  // Private suffixes: one user's github.io site is not another's.
  assert.equal(isSameSite('https://bob.github.io/a', 'alice.github.io', on), false);
  assert.equal(isSameSite('https://docs.alice.github.io/a', 'alice.github.io', on), true);
  // IPs and localhost: only the host itself (and its port must match).
  assert.equal(isSameSite('http://127.0.0.1:8080/a', '127.0.0.1:8080', on), true);
  assert.equal(isSameSite('http://127.0.0.1:8081/a', '127.0.0.1:8080', on), false);
  assert.equal(isSameSite('http://sub.localhost/a', 'localhost', on), true);
  assert.equal(registrableDomain('www.example.com'), 'example.com');
  assert.equal(registrableDomain('a.b.example.com.au'), 'example.com.au');
});

void test('workflows name a site URL\'s host as siteHostOf does (hostOfSiteUrl: a regular expression, no URL class)', () => {
  const urls = [
    'http://Example.COM/', 'https://example.com:443/a?b#c', 'http://example.com:80', 'http://example.com:8080/x',
    'https://user:pw@Shop.Example.org:8443/', 'http://127.0.0.1:4321/p/1', 'https://[::1]:8443/', 'https://[::1]:443/',
  ];
  for (const u of urls) assert.equal(hostOfSiteUrl(u), siteHostOf(u), u);
  for (const u of ['ftp://example.com/', 'example.com', '']) assert.equal(hostOfSiteUrl(u), null, u);
});
