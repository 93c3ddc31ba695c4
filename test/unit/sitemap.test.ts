import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { isGzip, parseSitemap } from '../../src/audit/sitemap';

const NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"';

void test('parseSitemap: urlset with lastmod', () => {
  const r = parseSitemap(`<?xml version="1.0" encoding="UTF-8"?>
<urlset ${NS}>
  <url><loc>https://example.com/</loc><lastmod>2024-05-01</lastmod><priority>1.0</priority></url>
  <url><loc>https://example.com/a</loc></url>
</urlset>`);
  assert.equal(r.kind, 'urlset');
  assert.deepEqual(r.urls, [{ loc: 'https://example.com/', lastmod: '2024-05-01' }, { loc: 'https://example.com/a' }]);
  assert.deepEqual(r.sitemaps, []);
  assert.deepEqual(r.errors, []);
});

void test('parseSitemap: sitemap index', () => {
  const r = parseSitemap(`<sitemapindex ${NS}>
  <sitemap><loc>https://example.com/s1.xml.gz</loc><lastmod>2024-01-01</lastmod></sitemap>
  <sitemap><loc>https://example.com/s2.xml</loc></sitemap>
</sitemapindex>`);
  assert.equal(r.kind, 'sitemapindex');
  assert.deepEqual(r.sitemaps, ['https://example.com/s1.xml.gz', 'https://example.com/s2.xml']);
  assert.deepEqual(r.urls, []);
});

void test('parseSitemap: a single <url> or <sitemap> entry', () => {
  const one = parseSitemap(`<urlset ${NS}><url><loc>https://example.com/only</loc></url></urlset>`);
  assert.deepEqual(one.urls, [{ loc: 'https://example.com/only' }]);
  const idx = parseSitemap(`<sitemapindex><sitemap><loc>https://example.com/s.xml</loc></sitemap></sitemapindex>`);
  assert.deepEqual(idx.sitemaps, ['https://example.com/s.xml']);
});

void test('parseSitemap: namespace prefixes, extensions and BOM', () => {
  const r = parseSitemap(`\uFEFF<?xml version="1.0"?>
<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <sm:url>
    <sm:loc>https://example.com/p</sm:loc>
    <image:image><image:loc>https://example.com/img.png</image:loc></image:image>
  </sm:url>
</sm:urlset>`);
  assert.equal(r.kind, 'urlset');
  assert.deepEqual(r.urls, [{ loc: 'https://example.com/p' }]);
});

void test('parseSitemap: whitespace, CDATA and entities in <loc>', () => {
  const r = parseSitemap(`<urlset ${NS}>
  <url><loc>
      https://example.com/a?x=1&amp;y=2
  </loc></url>
  <url><loc><![CDATA[https://example.com/b?x=1&y=2]]></loc></url>
  <url><loc>https://example.com/caf&#233;?q=&#x41;&lt;</loc></url>
</urlset>`);
  assert.deepEqual(r.urls.map((e) => e.loc), [
    'https://example.com/a?x=1&y=2',
    'https://example.com/b?x=1&y=2',
    'https://example.com/café?q=A<',
  ]);
  assert.deepEqual(r.errors, []);
});

void test('parseSitemap: plain-text sitemap', () => {
  const r = parseSitemap('https://example.com/1\r\n\r\n  https://example.com/2  \nnot a url\n');
  assert.equal(r.kind, 'urlset');
  assert.deepEqual(r.urls, [{ loc: 'https://example.com/1' }, { loc: 'https://example.com/2' }]);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0], /line 4/);
});

void test('parseSitemap: garbage and wrong documents give errors, never throw', () => {
  const inputs = ['', '   ', 'garbage <<< >>> &&&', '<html><body>Not found</body></html>', '<<<>>>', '<urlset><url><loc>', '\u0000\u0001'];
  for (const input of inputs) {
    const r = parseSitemap(input);
    assert.ok(r.errors.length > 0, JSON.stringify(input));
    assert.deepEqual(r.urls, [], JSON.stringify(input));
  }
  assert.match(parseSitemap('<html><body>x</body></html>').errors[0], /<html>/);
  assert.equal(parseSitemap('<rss><channel/></rss>').kind, 'unknown');
});

void test('parseSitemap: invalid entries are skipped and summarized', () => {
  const r = parseSitemap(`<urlset><url><loc>/relative</loc></url><url><loc></loc></url><url/><url><loc>https://example.com/ok</loc></url></urlset>`);
  assert.deepEqual(r.urls, [{ loc: 'https://example.com/ok' }]);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0], /^3 entries/);
});

void test('parseSitemap: truncated XML is salvaged by scanning <loc>s', () => {
  const r = parseSitemap(`<urlset ${NS}><url><loc>https://example.com/1</loc><image:image><image:loc>https://example.com/i.png</image:loc></image:image></url><url><loc>https://example.com/2?a=1&amp;b=2</loc></url><url><loc>https://exa`);
  assert.equal(r.kind, 'urlset');
  assert.deepEqual(r.urls.map((e) => e.loc), ['https://example.com/1', 'https://example.com/2?a=1&b=2']);
  assert.ok(r.errors.some((e) => /truncated/.test(e)), r.errors.join('; '));

  // Cut inside a closing tag: the parser throws, and a <loc> scan recovers the entries (not the image's).
  const cut = parseSitemap(`<urlset ${NS}><url><loc>https://example.com/1</loc><image:image><image:loc>https://example.com/i.png</image:loc></image:image></url><url><loc><![CDATA[https://example.com/2?a=1&b=2]]></loc></u`);
  assert.equal(cut.kind, 'urlset');
  assert.deepEqual(cut.urls.map((e) => e.loc), ['https://example.com/1', 'https://example.com/2?a=1&b=2']);
  assert.match(cut.errors[0], /XML parse error/);

  const empty = parseSitemap(`<urlset ${NS}/>`);
  assert.equal(empty.kind, 'urlset');
  assert.deepEqual(empty.errors, []);
});

void test('parseSitemap: caps entries and says so', () => {
  const body = Array.from({ length: 30 }, (_, i) => `<url><loc>https://example.com/${i}</loc></url>`).join('');
  const r = parseSitemap(`<urlset ${NS}>${body}</urlset>`, { maxEntries: 10 });
  assert.equal(r.urls.length, 10);
  assert.equal(r.urls[9].loc, 'https://example.com/9');
  assert.ok(r.errors.some((e) => /only the first 10/.test(e)));

  const exact = parseSitemap(`<urlset ${NS}>${body}</urlset>`, { maxEntries: 30 });
  assert.deepEqual(exact.errors, []);

  const text = parseSitemap(Array.from({ length: 5 }, (_, i) => `https://example.com/${i}`).join('\n'), { maxEntries: 2 });
  assert.equal(text.urls.length, 2);
  assert.ok(text.errors.some((e) => /only the first 2/.test(e)));
});

void test('parseSitemap: default cap is 50,000', () => {
  const body = Array.from({ length: 50_001 }, (_, i) => `<url><loc>https://example.com/${i}</loc></url>`).join('');
  const r = parseSitemap(`<urlset ${NS}>${body}</urlset>`);
  assert.equal(r.urls.length, 50_000);
  assert.equal(r.errors.length, 1);
});

void test('isGzip: magic bytes', () => {
  assert.equal(isGzip(gzipSync(Buffer.from('<urlset/>'))), true);
  assert.equal(isGzip(Buffer.from('<urlset/>')), false);
  assert.equal(isGzip(Buffer.from([0x1f])), false);
  assert.equal(isGzip(Buffer.alloc(0)), false);
});
