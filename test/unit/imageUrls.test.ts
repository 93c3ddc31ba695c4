// The image URLs a page hands to the post-crawl size check (analyzePage.images) and the Content-Range reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePage } from '../../src/audit/analyzePage';
import { contentRangeTotal, cssImageUrls, intHeader, srcsetUrls } from '../../src/audit/imageSize';
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

void test('srcsetUrls: candidates per the HTML rules (commas inside URLs, descriptors with parentheses, stray commas)', () => {
  assert.deepEqual(srcsetUrls('a.png 1x, b.png 2x'), ['a.png', 'b.png']);
  assert.deepEqual(srcsetUrls('  small.jpg 480w,\n large.jpg   1080w  '), ['small.jpg', 'large.jpg']);
  assert.deepEqual(srcsetUrls('/i.php?w=1,2 1x,/j.png'), ['/i.php?w=1,2', '/j.png']);
  assert.deepEqual(srcsetUrls('a.png,, b.png,'), ['a.png', 'b.png']);
  assert.deepEqual(srcsetUrls('a.png (foo, bar) 1x, b.png'), ['a.png', 'b.png']);
  assert.deepEqual(srcsetUrls(' , '), []);
  assert.deepEqual(srcsetUrls('one.png'), ['one.png']);
});

void test('cssImageUrls: url() of background and other image properties; fonts, imports, cursors and comments are not images', () => {
  assert.deepEqual(cssImageUrls(`.a { background: #fff url(/a.png) no-repeat; } .b{background-image:url( "b.png" )}
    .c { list-style-image: url('c.png') } /* .d { background: url(d.png) } */
    @font-face { font-family: X; src: url(/f.woff2) format("woff2"); } @import url("x.css"); .e { cursor: url(e.cur), auto }
    .f { BACKGROUND-IMAGE: image-set(url(f1.png) 1x, url("f2.png") 2x); border-image: url(g.png) 30 round }`),
  ['/a.png', 'b.png', 'c.png', 'f1.png', 'f2.png', 'g.png']);
  assert.deepEqual(cssImageUrls('background-image: url(h.png); color: red'), ['h.png'], 'a style attribute: declarations only');
  assert.deepEqual(cssImageUrls('background: url("semi;colon.png")'), ['semi;colon.png']);
  assert.deepEqual(cssImageUrls('color: red; background: none'), []);
  assert.deepEqual(cssImageUrls('background: url()'), []);
});

void test('images: srcset candidates, <picture> sources and CSS backgrounds join <img src>, after it, same rules', () => {
  const doc = `<!doctype html><html><head><title>t</title>
    <style>.hero { background: url(/css/hero.jpg) } @font-face { src: url(/font.woff2) } .x { background-image: url(https://cdn.example.net/x.png) }</style></head><body>
    <img src="/a.png" srcset="/a-2x.png 2x, /a.png 1x" alt="a">
    <picture><source srcset="/p.webp 1x, /p-2x.webp 2x" type="image/webp"><img src="/p.jpg" alt="p"></picture>
    <video><source src="/movie.mp4"></video><source srcset="/stray.png">
    <div style="background-image: url('bg.png')">x</div><p style="color: red">y</p>
    <div style="background: url(data:image/png;base64,AAAA)">z</div>
  </body></html>`;
  const r = analyzePage(page(doc), { siteHost: 'example.com' });
  assert.deepEqual(r.images, [
    'https://example.com/a.png', 'https://example.com/p.jpg', 'https://example.com/css/hero.jpg', 'https://example.com/a-2x.png',
    'https://example.com/p.webp', 'https://example.com/p-2x.webp', 'https://example.com/blog/bg.png',
  ]);
  assert.equal(r.imageCount, 2, '<img> elements only');
});
