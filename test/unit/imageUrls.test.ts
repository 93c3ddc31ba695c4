// The image URLs a page hands to the post-crawl size check (analyzePage.images) and the Content-Range reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePage } from '../../src/audit/analyzePage';
import { contentRangeTotal, intHeader } from '../../src/audit/imageSize';
import type { FetchedPage } from '../../src/audit/types';

const URL_ = 'https://example.com/blog/post';
const page = (body: string): FetchedPage => ({
  url: URL_, finalUrl: URL_, statusCode: 200, headers: { 'content-type': 'text/html' }, redirectChain: [], contentType: 'text/html',
  bytes: body.length, ttfbMs: 50, durationMs: 60, body,
});

void test('images: distinct absolute same-site <img src> URLs; other hosts, data: URIs and empty src dropped', () => {
  const doc = `<!doctype html><html><head><title>t</title><base href="/media/"></head><body>
    <img src="a.png"><img src="/img/b.jpg#x"><img src="a.png"><img src="https://cdn.example.net/c.png"><img src="">
    <img src="data:image/png;base64,AAAA"><img alt="no src"><img src="https://static.example.com/d.png"><noscript><img src="e.png"></noscript>
  </body></html>`;
  assert.deepEqual(analyzePage(page(doc), { siteHost: 'example.com' }).images, ['https://example.com/media/a.png', 'https://example.com/img/b.jpg']);
  // With subdomains internal, a subdomain's image is the site's too.
  assert.deepEqual(analyzePage(page(doc), { siteHost: 'example.com', subdomainsInternal: true }).images,
    ['https://example.com/media/a.png', 'https://example.com/img/b.jpg', 'https://static.example.com/d.png']);
});

void test('images: at most 50 per page', () => {
  const imgs = Array.from({ length: 80 }, (_, i) => `<img src="/i${i}.png">`).join('');
  const r = analyzePage(page(`<!doctype html><html><head><title>t</title></head><body>${imgs}</body></html>`), { siteHost: 'example.com' });
  assert.equal(r.images.length, 50);
  assert.equal(r.imageCount, 80);
});

void test('contentRangeTotal: the complete length, or null when unknown or malformed', () => {
  assert.equal(contentRangeTotal('bytes 0-0/150000'), 150_000);
  assert.equal(contentRangeTotal('bytes */0'), 0);
  assert.equal(contentRangeTotal('BYTES 0-0/12'), 12);
  assert.equal(contentRangeTotal('bytes 0-0/*'), null);
  assert.equal(contentRangeTotal('0-0/12'), null);
  assert.equal(contentRangeTotal(undefined), null);
  assert.equal(intHeader(' 42 '), 42);
  assert.equal(intHeader('-1'), null);
  assert.equal(intHeader('1e5'), null);
});
