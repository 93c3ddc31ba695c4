// Every per-page check: a case that fires, a case that must not, and threshold boundaries. Each case starts
// from a clean page (no findings at all) and changes one thing.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePage, type AnalyzeOptions, type PageAnalysis } from '../../src/audit/analyzePage';
import { findCheck, PAGE_CHECK_CODES } from '../../src/audit/catalogue';
import { extractFacts } from '../../src/audit/checks/extract';
import { blockedResourcesFinding, withFinding } from '../../src/audit/checks/robots';
import { paginationProblem } from '../../src/db/siteChecks/pagination';
import { titlePixelWidth, descriptionPixelWidth } from '../../src/audit/pixelWidth';
import type { FetchedPage } from '../../src/audit/types';

const URL_ = 'https://example.com/guides/seo-basics';
const TITLE = 'SEO basics: a practical guide for small sites'; // 45 chars
const DESCRIPTION = 'Learn how titles, descriptions, links and canonicals work together, with a checklist you can apply today.';

interface Parts {
  lang: string | null;
  title: string;
  description: string;
  viewport: string;
  canonical: string;
  og: string;
  head: string;
  h1: string;
  h2: string;
  text: string;
  links: string;
  img: string;
  body: string;
}

/** n words of ordinary prose. */
function prose(n: number): string {
  const vocab = ['audits', 'find', 'broken', 'links', 'slow', 'pages', 'and', 'missing', 'titles', 'before', 'users', 'notice', 'them', 'every', 'week'];
  return Array.from({ length: n }, (_, i) => vocab[(i * 7) % vocab.length]).join(' ');
}

// 200 words of main content: 193 of text plus the h1 (2 words), h2 (2) and a 3-word paragraph (link text is not content).
const CLEAN: Parts = {
  lang: 'en',
  title: `<title>${TITLE}</title>`,
  description: `<meta name="description" content="${DESCRIPTION}">`,
  viewport: '<meta name="viewport" content="width=device-width, initial-scale=1">',
  canonical: `<link rel="canonical" href="${URL_}">`,
  og: '<meta property="og:title" content="SEO basics"><meta property="og:description" content="A guide"><meta property="og:image" content="https://example.com/og.png">',
  head: '',
  h1: '<h1>SEO basics</h1>',
  h2: '<h2>First steps</h2>',
  text: `<p>${prose(193)}</p><p>Read our guide.</p>`,
  links: '<a href="/guides/other-topic">Other topic guide</a>',
  img: '<img src="/img/diagram.png" alt="A diagram" width="10" height="10">',
  body: '',
};

function html(p: Partial<Parts> = {}): string {
  const x = { ...CLEAN, ...p };
  const lang = x.lang === null ? '' : ` lang="${x.lang}"`;
  return `<!doctype html><html${lang}><head><meta charset="utf-8">${x.title}${x.description}${x.viewport}${x.canonical}${x.og}${x.head}</head>`
    + `<body><header><nav><a href="/">Home</a></nav></header><main>${x.h1}${x.h2}${x.text}${x.links}${x.img}${x.body}</main>`
    + '<footer>Footer text is not content</footer></body></html>';
}

const GOOD_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'strict-transport-security': 'max-age=31536000',
  'content-security-policy': "default-src 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'strict-origin-when-cross-origin',
};

function fetched(body: string | null, over: Partial<FetchedPage> = {}): FetchedPage {
  return {
    url: URL_, finalUrl: URL_, statusCode: 200, headers: { ...GOOD_HEADERS }, redirectChain: [], contentType: 'text/html; charset=utf-8',
    bytes: body?.length ?? 0, ttfbMs: 100, durationMs: 150, body, ...over,
  };
}

const emitted = new Set<string>();

function analyze(parts: Partial<Parts> = {}, page: Partial<FetchedPage> = {}, opts: Partial<AnalyzeOptions> = {}): PageAnalysis {
  const r = analyzePage(fetched(html(parts), page), { siteHost: 'example.com', now: Date.UTC(2030, 0, 1), ...opts });
  for (const f of r.findings) emitted.add(f.code);
  return r;
}

function codes(parts: Partial<Parts> = {}, page: Partial<FetchedPage> = {}, opts: Partial<AnalyzeOptions> = {}): string[] {
  return analyze(parts, page, opts).findings.map((f) => f.code);
}

function detail(r: PageAnalysis, code: string): string | undefined {
  return r.findings.find((f) => f.code === code)?.detail;
}

function fires(code: string, parts: Partial<Parts> = {}, page: Partial<FetchedPage> = {}, opts: Partial<AnalyzeOptions> = {}): void {
  const c = codes(parts, page, opts);
  assert.ok(c.includes(code), `expected ${code} in [${c.join(', ')}]`);
}

function silent(code: string, parts: Partial<Parts> = {}, page: Partial<FetchedPage> = {}, opts: Partial<AnalyzeOptions> = {}): void {
  const c = codes(parts, page, opts);
  assert.ok(!c.includes(code), `did not expect ${code} in [${c.join(', ')}]`);
}

const chars = (n: number, ch = 'a'): string => ch.repeat(n);

void test('the clean page has no findings at all', () => {
  const r = analyze();
  assert.deepEqual(r.findings, []);
  assert.equal(r.wordCount, 200);
  assert.equal(r.indexable, true);
});

void describe('response', () => {
  void test('status_3xx: a redirect hop before the final response, or an unfollowed 3xx', () => {
    fires('status_3xx', {}, { url: 'https://example.com/old', redirectChain: [{ url: 'https://example.com/old', status: 301 }] });
    fires('status_3xx', {}, { statusCode: 302, body: null });
    silent('status_3xx');
  });

  void test('status_4xx and status_5xx by status code, boundaries included', () => {
    for (const s of [400, 404, 410, 499]) fires('status_4xx', {}, { statusCode: s });
    for (const s of [500, 503, 599]) fires('status_5xx', {}, { statusCode: s });
    silent('status_4xx', {}, { statusCode: 500 });
    silent('status_5xx', {}, { statusCode: 499 });
    silent('status_4xx', {}, { statusCode: 399 });
  });

  void test('error pages get response findings only, even with an HTML body', () => {
    const r = analyze({ title: '', h1: '' }, { statusCode: 404 });
    assert.deepEqual(r.findings.map((f) => f.code), ['status_4xx']);
    assert.equal(r.title, null);
    assert.deepEqual(r.outlinks, []);
    assert.equal(r.indexable, false);
  });

  void test('redirect_chain: more hops than redirectChainMaxHops (1 by default)', () => {
    const hop = (n: number) => Array.from({ length: n }, (_, i) => ({ url: `https://example.com/r${i}`, status: 301 }));
    silent('redirect_chain', {}, { redirectChain: hop(1) });
    fires('redirect_chain', {}, { redirectChain: hop(2) });
    silent('redirect_chain', {}, { redirectChain: hop(2) }, { thresholds: { redirectChainMaxHops: 2 } });
  });

  void test('redirect_loop: a URL visited twice', () => {
    fires('redirect_loop', {}, {
      statusCode: 301, body: null, finalUrl: 'https://example.com/a',
      redirectChain: [{ url: 'https://example.com/a', status: 301 }, { url: 'https://example.com/b', status: 301 }],
    });
    silent('redirect_loop', {}, { redirectChain: [{ url: 'https://example.com/a', status: 301 }, { url: 'https://example.com/b', status: 301 }] });
  });

  void test('slow_response: ttfb above slowResponseMs (800)', () => {
    silent('slow_response', {}, { ttfbMs: 800 });
    const r = analyze({}, { ttfbMs: 801 });
    assert.equal(detail(r, 'slow_response'), '801 ms');
    silent('slow_response', {}, { ttfbMs: 900 }, { thresholds: { slowResponseMs: 1000 } });
  });

  void test('page_too_large: bytes above maxPageBytes (2 MB), even without a body', () => {
    silent('page_too_large', {}, { bytes: 2_000_000 });
    fires('page_too_large', {}, { bytes: 2_000_001 });
    fires('page_too_large', {}, { bytes: 3_000_000, body: null });
    fires('page_too_large', {}, { bytes: 1001 }, { thresholds: { maxPageBytes: 1000 } });
  });

  void test('incorrect_media_type: HTML body or .html URL under another type, or no type', () => {
    fires('incorrect_media_type', {}, { contentType: 'text/plain', headers: { ...GOOD_HEADERS, 'content-type': 'text/plain' } });
    const plain = analyzePage(fetched('just text', { url: 'https://example.com/a.html', finalUrl: 'https://example.com/a.html', contentType: 'text/plain' }), { siteHost: 'example.com' });
    assert.equal(detail(plain, 'incorrect_media_type'), '.html served as text/plain');
    const none = analyzePage(fetched('x', { contentType: null, headers: {} }), { siteHost: 'example.com' });
    assert.equal(detail(none, 'incorrect_media_type'), 'no Content-Type');
    const pdf = analyzePage(fetched(null, { url: 'https://example.com/a.pdf', finalUrl: 'https://example.com/a.pdf', contentType: 'application/pdf', bytes: 100 }), { siteHost: 'example.com' });
    assert.ok(!pdf.findings.some((f) => f.code === 'incorrect_media_type'));
    silent('incorrect_media_type');
    silent('incorrect_media_type', {}, { url: 'https://example.com/a.php', finalUrl: 'https://example.com/a.php' });
  });
});

void describe('url', () => {
  const at = (path: string): Partial<FetchedPage> => ({ url: `https://example.com${path}` });
  void test('url_underscore', () => {
    fires('url_underscore', {}, at('/seo_basics'));
    silent('url_underscore', {}, at('/seo-basics?a_b=1'));
  });
  void test('url_space', () => {
    fires('url_space', {}, at('/seo%20basics'));
    silent('url_space', {}, at('/seo-basics'));
  });
  void test('url_multiple_slashes (path only)', () => {
    fires('url_multiple_slashes', {}, at('/guides//seo'));
    silent('url_multiple_slashes', {}, at('/guides/seo?next=//x'));
  });
  void test('url_uppercase ignores percent-escapes', () => {
    fires('url_uppercase', {}, at('/Guides/seo'));
    silent('url_uppercase', {}, at('/caf%C3%A9'));
  });
  void test('url_too_long: above urlMaxChars (115)', () => {
    const base = 'https://example.com/';
    silent('url_too_long', {}, { url: base + chars(115 - base.length) });
    fires('url_too_long', {}, { url: base + chars(116 - base.length) });
    fires('url_too_long', {}, { url: base + chars(40) }, { thresholds: { urlMaxChars: 50 } });
  });
  void test('url_query_params', () => {
    const r = analyze({}, at('/seo?a=1&b=2'));
    assert.equal(detail(r, 'url_query_params'), '2 params');
    silent('url_query_params', {}, at('/seo?'));
  });
});

void describe('security', () => {
  void test('http_page: final URL on http', () => {
    fires('http_page', { canonical: '' }, { url: 'http://example.com/guides/seo-basics', finalUrl: 'http://example.com/guides/seo-basics' });
    silent('http_page');
  });
  void test('missing_hsts: https only, needs a positive max-age', () => {
    const { 'strict-transport-security': _, ...noHsts } = GOOD_HEADERS;
    fires('missing_hsts', {}, { headers: noHsts });
    fires('missing_hsts', {}, { headers: { ...GOOD_HEADERS, 'strict-transport-security': 'max-age=0' } });
    silent('missing_hsts', { canonical: '' }, { url: 'http://example.com/x', finalUrl: 'http://example.com/x', headers: noHsts });
    silent('missing_hsts');
  });
  void test('missing_csp: header or meta http-equiv', () => {
    const { 'content-security-policy': _, ...noCsp } = GOOD_HEADERS;
    fires('missing_csp', {}, { headers: noCsp });
    silent('missing_csp', { head: `<meta http-equiv="Content-Security-Policy" content="default-src 'self'">` }, { headers: noCsp });
    silent('missing_csp');
  });
  void test('missing_nosniff', () => {
    fires('missing_nosniff', {}, { headers: { ...GOOD_HEADERS, 'x-content-type-options': 'sniff' } });
    silent('missing_nosniff');
  });
  void test('mixed_content: http subresources on an https page', () => {
    fires('mixed_content', { img: '<img src="http://cdn.example.com/a.png" alt="" width="1" height="1">' });
    fires('mixed_content', { head: '<link rel="stylesheet" href="http://cdn.example.com/a.css">' });
    fires('mixed_content', { body: '<script src="http://cdn.example.com/a.js"></script>' });
    fires('mixed_content', { body: '<iframe src="http://example.org/"></iframe>' });
    fires('mixed_content', { head: '<base href="http://example.com/">' });
    silent('mixed_content', { img: '<img src="https://cdn.example.com/a.png" alt="" width="1" height="1"><img src="//cdn.example.com/b.png" alt="" width="1" height="1">' });
    silent('mixed_content', { canonical: '', img: '<img src="http://cdn.example.com/a.png" alt="" width="1" height="1">' }, { url: 'http://example.com/x', finalUrl: 'http://example.com/x' });
  });
  void test('form_to_http', () => {
    fires('form_to_http', { body: '<form action="http://example.com/subscribe"></form>' });
    silent('form_to_http', { body: '<form action="/subscribe"></form><form></form>' });
  });
  void test('target_blank_no_noopener: external links only', () => {
    fires('target_blank_no_noopener', { body: '<a href="https://other.org/" target="_blank">Other site</a>' });
    silent('target_blank_no_noopener', { body: '<a href="https://other.org/" target="_blank" rel="noopener">Other site</a>' });
    silent('target_blank_no_noopener', { body: '<a href="https://other.org/" target="_blank" rel="noreferrer">Other site</a>' });
    silent('target_blank_no_noopener', { body: '<a href="/x" target="_blank">Internal page</a>' });
  });
});

void describe('indexability', () => {
  void test('noindex from meta robots, googlebot, bingbot or our token', () => {
    const r = analyze({ head: '<meta name="robots" content="noindex, follow">' });
    assert.equal(detail(r, 'noindex'), 'meta robots');
    assert.equal(r.noindex, true);
    assert.equal(r.indexable, false);
    fires('noindex', { head: '<meta name="googlebot" content="noindex">' });
    fires('noindex', { head: '<meta name="BingBot" content="NOINDEX">' });
    silent('noindex', { head: '<meta name="otherbot" content="noindex">' });
    silent('noindex', { head: '<meta name="sitesweep" content="noindex">' });
    fires('noindex', { head: '<meta name="sitesweep" content="noindex">' }, {}, { userAgentToken: 'SiteSweep' });
    silent('noindex', { head: '<meta name="robots" content="index, follow">' });
  });

  void test('noindex from X-Robots-Tag, generic or for one of our agents', () => {
    const h = (v: string): Partial<FetchedPage> => ({ headers: { ...GOOD_HEADERS, 'x-robots-tag': v } });
    fires('noindex', {}, h('noindex'));
    fires('noindex', {}, h('googlebot: noindex'));
    fires('noindex', {}, h('otherbot: nofollow, googlebot: noindex'));
    silent('noindex', {}, h('otherbot: noindex, nofollow'));
    silent('noindex', {}, h('noarchive'));
  });

  void test('none means noindex and nofollow', () => {
    const r = analyze({ head: '<meta name="robots" content="none">' });
    assert.deepEqual(r.findings.filter((f) => f.code === 'noindex' || f.code === 'nofollow').length, 2);
    assert.equal(r.nofollow, true);
  });

  void test('nofollow', () => {
    fires('nofollow', { head: '<meta name="robots" content="nofollow">' });
    silent('nofollow', { head: '<meta name="robots" content="noarchive">' });
  });

  void test('nosnippet, also as max-snippet:0', () => {
    fires('nosnippet', { head: '<meta name="robots" content="nosnippet">' });
    fires('nosnippet', { head: '<meta name="robots" content="max-snippet:0">' });
    silent('nosnippet', { head: '<meta name="robots" content="max-snippet:50">' });
  });

  void test('noimageindex', () => {
    fires('noimageindex', {}, { headers: { ...GOOD_HEADERS, 'x-robots-tag': 'noimageindex' } });
    silent('noimageindex', { head: '<meta name="robots" content="max-image-preview:large">' });
  });

  void test('unavailable_after: only once the date has passed', () => {
    // now = 2030-01-01
    const r = analyze({ head: '<meta name="robots" content="unavailable_after: 2025-06-01">' });
    assert.ok(r.findings.some((f) => f.code === 'unavailable_after'));
    assert.equal(r.indexable, false);
    silent('unavailable_after', { head: '<meta name="robots" content="unavailable_after: 2040-06-01">' });
    // RFC 850 dates contain a comma, which also separates directives.
    fires('unavailable_after', {}, { headers: { ...GOOD_HEADERS, 'x-robots-tag': 'unavailable_after: Sunday, 01-Jan-2028 15:00:00 GMT, noarchive' } });
    silent('unavailable_after', {}, { headers: { ...GOOD_HEADERS, 'x-robots-tag': 'unavailable_after: Sunday, 01-Jan-2040 15:00:00 GMT' } });
    silent('unavailable_after', { head: '<meta name="robots" content="unavailable_after: not a date">' });
  });
});

void describe('title', () => {
  void test('title_missing: absent or empty', () => {
    fires('title_missing', { title: '' });
    fires('title_missing', { title: '<title>  </title>' });
    silent('title_missing');
  });
  void test('an <svg><title> is not the page title', () => {
    fires('title_missing', { title: '', body: '<svg><title>Icon</title></svg>' });
  });
  void test('title_multiple', () => {
    fires('title_multiple', { title: `<title>${TITLE}</title><title>${TITLE}</title>` });
    silent('title_multiple');
  });
  void test('title_too_short: below titleMinChars (30)', () => {
    fires('title_too_short', { title: `<title>${chars(29)}</title>` });
    silent('title_too_short', { title: `<title>${chars(30)}</title>` });
    silent('title_too_short', { title: `<title>${chars(29)}</title>` }, {}, { thresholds: { titleMinChars: 20 } });
  });
  void test('title_too_long: above titleMaxChars (60)', () => {
    silent('title_too_long', { title: `<title>${chars(60, 'i')}</title>` });
    const r = analyze({ title: `<title>${chars(61, 'i')}</title>` });
    assert.equal(detail(r, 'title_too_long'), '61 chars');
    silent('title_too_long', { title: `<title>${chars(61, 'i')}</title>` }, {}, { thresholds: { titleMaxChars: 70 } });
  });
  void test('title lengths count characters, not UTF-16 units', () => {
    silent('title_too_long', { title: `<title>${'😀'.repeat(40)}</title>` }, {}, { thresholds: { titleMaxPx: 5000 } });
  });
  void test('title_too_wide: estimated Arial 20px width above titleMaxPx (561)', () => {
    // 40 W's: 40 × 944/1000 × 20 = 755.2 px, within 60 chars but too wide.
    const wide = chars(40, 'W');
    assert.equal(titlePixelWidth(wide), 755.2);
    fires('title_too_wide', { title: `<title>${wide}</title>` });
    silent('title_too_wide');
    const px = titlePixelWidth(TITLE);
    silent('title_too_wide', {}, {}, { thresholds: { titleMaxPx: px } });
    fires('title_too_wide', {}, {}, { thresholds: { titleMaxPx: px - 0.5 } });
  });
  void test('title_same_as_h1 (case and spacing ignored)', () => {
    fires('title_same_as_h1', { h1: `<h1>${TITLE.toUpperCase()}</h1>` });
    silent('title_same_as_h1');
  });
});

void describe('description', () => {
  const d = (s: string): Partial<Parts> => ({ description: `<meta name="description" content="${s}">` });
  void test('description_missing: absent or empty', () => {
    fires('description_missing', { description: '' });
    fires('description_missing', d(''));
    silent('description_missing');
  });
  void test('description_multiple', () => {
    fires('description_multiple', { description: CLEAN.description + CLEAN.description });
    silent('description_multiple');
  });
  void test('description_too_short: below descriptionMinChars (70)', () => {
    fires('description_too_short', d(chars(69)));
    silent('description_too_short', d(chars(70)));
    fires('description_too_short', d(chars(70)), {}, { thresholds: { descriptionMinChars: 80 } });
    silent('description_too_short', d(chars(69)), {}, { thresholds: { descriptionMinChars: 60 } });
  });
  void test('description_too_long: above descriptionMaxChars (155)', () => {
    silent('description_too_long', d(chars(155, 'i')));
    fires('description_too_long', d(chars(156, 'i')));
    silent('description_too_long', d(chars(156, 'i')), {}, { thresholds: { descriptionMaxChars: 160 } });
  });
  void test('description_too_wide: estimated Arial 14px width above descriptionMaxPx (985)', () => {
    // 80 M's: 80 × 833/1000 × 14 = 932.96 px; 90 → 1049.58 px.
    assert.equal(descriptionPixelWidth(chars(90, 'M')), 1049.58);
    silent('description_too_wide', d(chars(80, 'M')));
    fires('description_too_wide', d(chars(90, 'M')));
    silent('description_too_wide', d(chars(90, 'M')), {}, { thresholds: { descriptionMaxPx: 1100 } });
  });
});

void describe('headings', () => {
  void test('h1_missing: absent or empty; an image alt counts as text', () => {
    fires('h1_missing', { h1: '' });
    fires('h1_missing', { h1: '<h1> </h1>' });
    silent('h1_missing', { h1: '<h1><img src="/logo.png" alt="Example logo" width="1" height="1"></h1>' });
  });
  void test('h1_multiple', () => {
    const r = analyze({ h1: '<h1>One</h1><h1>Two</h1>' });
    assert.equal(detail(r, 'h1_multiple'), '2 h1s');
    assert.equal(r.h1Count, 2);
    silent('h1_multiple');
  });
  void test('h1_too_long: above h1MaxChars (70)', () => {
    silent('h1_too_long', { h1: `<h1>${chars(70)}</h1>` });
    fires('h1_too_long', { h1: `<h1>${chars(71)}</h1>` });
    fires('h1_too_long', { h1: `<h1>${chars(41)}</h1>` }, {}, { thresholds: { h1MaxChars: 40 } });
  });
  void test('h2_missing', () => {
    fires('h2_missing', { h2: '' });
    silent('h2_missing');
  });
  void test('heading_level_skipped: only when going deeper by more than one', () => {
    const r = analyze({ h2: '<h3>Deep</h3>' });
    assert.equal(detail(r, 'heading_level_skipped'), 'h1 → h3');
    silent('heading_level_skipped', { h2: '<h2>a</h2><h3>b</h3><h4>c</h4><h2>d</h2><h6 hidden></h6>'.replace('<h6 hidden></h6>', '') });
    silent('heading_level_skipped', { h2: '<h2>a</h2><h3>b</h3><h2>c</h2>' });
  });
});

void describe('content', () => {
  void test('thin_content: fewer than thinContentWords (200) main-content words', () => {
    silent('thin_content'); // exactly 200
    const r = analyze({ text: `<p>${prose(192)}</p><p>Read our guide.</p>` });
    assert.equal(detail(r, 'thin_content'), '199 words');
    silent('thin_content', { text: `<p>${prose(192)}</p><p>Read our guide.</p>` }, {}, { thresholds: { thinContentWords: 150 } });
  });
  void test('thin_content ignores navigation, header, footer, aside, scripts and templates', () => {
    const boiler = `<nav>${prose(50)}</nav><aside>${prose(50)}</aside><script>var a = "${prose(50)}";</script>`
      + `<noscript>${prose(50)}</noscript><template><p>${prose(50)}</p></template><style>p{}</style>`;
    const r = analyze({ text: `<p>${prose(100)}</p>`, body: boiler });
    assert.equal(r.wordCount, 104); // 100 + h1 and h2 (link text is not content)
    assert.ok(r.findings.some((f) => f.code === 'thin_content'));
  });
  void test('placeholder_text: lorem ipsum', () => {
    fires('placeholder_text', { text: `<p>Lorem ipsum dolor sit amet ${prose(200)}</p>` });
    silent('placeholder_text');
  });
  void test('soft_404: a 200 page that reads like an error page', () => {
    fires('soft_404', { title: '<title>Page not found – Example</title>', text: '<p>Sorry.</p>' });
    fires('soft_404', { title: '<title>404</title>', text: '' });
    fires('soft_404', { h1: '<h1>Oops! That page can’t be found.</h1>', text: '' });
    fires('soft_404', { text: '<p>The page you are looking for does not exist. Try the search.</p>' });
    fires('soft_404', { text: '<p>This product is no longer available.</p>' });
    silent('soft_404');
    // A long article about 404 errors is not an error page.
    silent('soft_404', { title: '<title>How to fix 404 not found errors on WordPress</title>', text: `<p>${prose(400)}</p>` });
    silent('soft_404', { title: '<title>404 Madison Avenue offices</title>', text: `<p>${prose(400)}</p>` });
  });
});

void describe('html', () => {
  void test('dom_too_large: more element nodes than maxDomNodes (1500)', () => {
    const doc = html();
    const n = extractFacts(doc, new Set()).elementCount;
    silent('dom_too_large', {}, {}, { thresholds: { maxDomNodes: n } });
    fires('dom_too_large', {}, {}, { thresholds: { maxDomNodes: n - 1 } });
    silent('dom_too_large', { body: '<span></span>'.repeat(1500 - n) });
    fires('dom_too_large', { body: '<span></span>'.repeat(1501 - n) });
  });
  void test('meta_in_body: after the head ended, explicitly or by a body element', () => {
    fires('meta_in_body', { body: '<meta name="robots" content="index">' });
    fires('meta_in_body', { head: '<img src="/pixel.gif" alt=""><meta name="x" content="y">' });
    silent('meta_in_body', { body: '<div itemscope><meta itemprop="name" content="x"></div>' });
    silent('meta_in_body', { head: '<noscript><img src="/pixel.gif"></noscript><meta name="x" content="y">' });
    silent('meta_in_body');
  });
  void test('duplicate_id', () => {
    const r = analyze({ body: '<div id="a"></div><div id="a"></div><div id="b"></div>' });
    assert.equal(detail(r, 'duplicate_id'), '1 id, e.g. #a');
    silent('duplicate_id', { body: '<div id="a"></div><div id="b"></div>' });
  });
  void test('lang_missing and lang_invalid', () => {
    fires('lang_missing', { lang: null });
    fires('lang_missing', { lang: ' ' });
    fires('lang_invalid', { lang: 'en_US' });
    fires('lang_invalid', { lang: '123' });
    silent('lang_invalid', { lang: 'en-GB' });
    silent('lang_invalid', { lang: 'zh-Hant-TW' });
  });
  void test('viewport_missing: absent or empty', () => {
    fires('viewport_missing', { viewport: '' });
    fires('viewport_missing', { viewport: '<meta name="viewport" content="">' });
    silent('viewport_missing');
  });
});

void describe('canonical', () => {
  const c = (href: string): Partial<Parts> => ({ canonical: `<link rel="canonical" href="${href}">` });
  void test('canonical_missing: neither tag nor Link header', () => {
    fires('canonical_missing', { canonical: '' });
    silent('canonical_missing', { canonical: '' }, { headers: { ...GOOD_HEADERS, link: `<${URL_}>; rel="canonical"` } });
    silent('canonical_missing');
  });
  void test('canonical_multiple: more than one tag, noting when they differ', () => {
    const r = analyze({ canonical: CLEAN.canonical + CLEAN.canonical.replace('seo-basics', 'other') });
    assert.equal(detail(r, 'canonical_multiple'), '2 tags, different URLs');
    assert.equal(detail(analyze({ canonical: CLEAN.canonical + CLEAN.canonical }), 'canonical_multiple'), '2 tags');
    silent('canonical_multiple');
  });
  void test('canonical_conflict_header: Link header and tag disagree', () => {
    fires('canonical_conflict_header', {}, { headers: { ...GOOD_HEADERS, link: '<https://example.com/other>; rel="canonical"' } });
    silent('canonical_conflict_header', {}, { headers: { ...GOOD_HEADERS, link: `<${URL_}>; rel=canonical, <https://example.com/de>; rel="alternate"; hreflang="de"` } });
  });
  void test('canonical_relative: no scheme (protocol-relative counts)', () => {
    fires('canonical_relative', c('/guides/seo-basics'));
    fires('canonical_relative', c('//example.com/guides/seo-basics'));
    silent('canonical_relative');
    const r = analyze(c('/guides/seo-basics'));
    assert.equal(r.canonical, URL_);
    assert.ok(!r.findings.some((f) => f.code === 'canonical_elsewhere'));
  });
  void test('canonical_invalid: empty, unparsable or not http(s)', () => {
    fires('canonical_invalid', c(''));
    fires('canonical_invalid', c('https://exa mple.com/'));
    fires('canonical_invalid', c('ftp://example.com/a'));
    silent('canonical_invalid');
  });
  void test('canonical_fragment', () => {
    fires('canonical_fragment', c(`${URL_}#top`));
    silent('canonical_fragment');
  });
  void test('canonical_outside_head: in the body, or after something that ended the head', () => {
    const r = analyze({ canonical: '', body: CLEAN.canonical });
    assert.ok(r.findings.some((f) => f.code === 'canonical_outside_head'));
    assert.equal(r.canonical, null);
    fires('canonical_outside_head', { canonical: `<div></div>${CLEAN.canonical}` });
    silent('canonical_outside_head');
  });
  void test('canonical_to_root: a deeper page canonicalised to the home page', () => {
    fires('canonical_to_root', c('https://example.com/'));
    silent('canonical_to_root', c('https://example.com/'), { url: 'https://example.com/', finalUrl: 'https://example.com/' });
    silent('canonical_to_root', c('https://other.com/'));
  });
  void test('canonical_elsewhere: another URL after normalization', () => {
    const r = analyze(c('https://example.com/guides/other'));
    assert.equal(detail(r, 'canonical_elsewhere'), 'https://example.com/guides/other');
    assert.equal(r.indexable, false);
    silent('canonical_elsewhere', c('HTTPS://EXAMPLE.COM:443/guides/seo-basics'));
    silent('canonical_elsewhere', {}, { url: `${URL_}?utm_source=x`, finalUrl: `${URL_}?utm_source=x` });
  });
});

void describe('hreflang', () => {
  const alt = (lang: string, href: string): string => `<link rel="alternate" hreflang="${lang}" href="${href}">`;
  const full = alt('en', URL_) + alt('de', 'https://example.com/de/seo') + alt('x-default', URL_);
  void test('no hreflang checks without hreflang links', () => {
    for (const code of ['hreflang_missing_self', 'hreflang_missing_x_default']) silent(code);
  });
  void test('a complete set has no findings', () => {
    const r = analyze({ head: full });
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.hreflang.map((h) => h.lang), ['en', 'de', 'x-default']);
  });
  void test('hreflang_invalid_code', () => {
    for (const bad of ['en-UK', 'en_US', 'eng', 'english', 'en-US-x', '']) fires('hreflang_invalid_code', { head: full + alt(bad, 'https://example.com/x') });
    for (const good of ['en-GB', 'zh-Hant', 'zh-Hant-TW', 'es-419', 'PT-br']) silent('hreflang_invalid_code', { head: full + alt(good, 'https://example.com/x') });
  });
  void test('hreflang_relative', () => {
    fires('hreflang_relative', { head: full + alt('fr', '/fr/seo') });
    silent('hreflang_relative', { head: full });
  });
  void test('hreflang_missing_self', () => {
    fires('hreflang_missing_self', { head: alt('de', 'https://example.com/de/seo') + alt('x-default', 'https://example.com/') });
    silent('hreflang_missing_self', { head: full });
  });
  void test('hreflang_missing_x_default', () => {
    fires('hreflang_missing_x_default', { head: alt('en', URL_) + alt('de', 'https://example.com/de/seo') });
    silent('hreflang_missing_x_default', { head: full });
  });
  void test('hreflang_lang_mismatch: self hreflang vs html lang', () => {
    const r = analyze({ lang: 'de', head: full });
    assert.equal(detail(r, 'hreflang_lang_mismatch'), 'hreflang en, lang de');
    silent('hreflang_lang_mismatch', { lang: 'en-US', head: full });
  });
  void test('hreflang links from the Link header count', () => {
    const link = `<${URL_}>; rel="alternate"; hreflang="en", <https://example.com/>; rel="alternate"; hreflang="x-default"`;
    const r = analyze({}, { headers: { ...GOOD_HEADERS, link } });
    assert.deepEqual(r.findings, []);
    assert.equal(r.hreflang.length, 2);
  });
});

void describe('images', () => {
  const img = (attrs: string): Partial<Parts> => ({ img: `<img src="/a.png" ${attrs}>` });
  void test('img_alt_missing: no alt attribute; alt="" is decorative', () => {
    fires('img_alt_missing', img('width="1" height="1"'));
    silent('img_alt_missing', img('alt="" width="1" height="1"'));
    silent('img_alt_missing', { img: '<noscript><img src="/a.png"></noscript>' });
  });
  void test('img_alt_too_long: above imgAltMaxChars (100)', () => {
    silent('img_alt_too_long', img(`alt="${chars(100)}" width="1" height="1"`));
    fires('img_alt_too_long', img(`alt="${chars(101)}" width="1" height="1"`));
    silent('img_alt_too_long', img(`alt="${chars(101)}" width="1" height="1"`), {}, { thresholds: { imgAltMaxChars: 120 } });
  });
  void test('img_missing_dimensions: width or height missing', () => {
    fires('img_missing_dimensions', img('alt="x" width="1"'));
    fires('img_missing_dimensions', img('alt="x"'));
    silent('img_missing_dimensions');
  });
  void test('picture_missing_img', () => {
    fires('picture_missing_img', { body: '<picture><source srcset="/a.webp"></picture>' });
    silent('picture_missing_img', { body: '<picture><source srcset="/a.webp"><img src="/a.png" alt="" width="1" height="1"></picture>' });
  });
});

void describe('links', () => {
  const L = (s: string): Partial<Parts> => ({ links: s });
  void test('internal_nofollow', () => {
    fires('internal_nofollow', L('<a href="/guides/other-topic" rel="nofollow">Other topic guide</a>'));
    silent('internal_nofollow', { body: '<a href="https://other.org/" rel="nofollow">Other site</a>' });
  });
  void test('too_many_links: more distinct URLs than maxLinks (100)', () => {
    // The clean page has 2 distinct links (/ and /guides/other-topic).
    const many = (n: number) => L(Array.from({ length: n }, (_, i) => `<a href="/p/${i}">Page ${i}</a>`).join(''));
    silent('too_many_links', many(99));
    fires('too_many_links', many(100));
    silent('too_many_links', L(`${CLEAN.links}${CLEAN.links}`.repeat(60)));
    fires('too_many_links', many(10), {}, { thresholds: { maxLinks: 10 } });
  });
  void test('no_outlinks: no internal link to another page', () => {
    const noNav = (links: string): string => html({ links }).replace('<a href="/">Home</a>', '');
    const run = (links: string): string[] => {
      const c = analyzePage(fetched(noNav(links)), { siteHost: 'example.com' }).findings.map((f) => f.code);
      c.forEach((code) => emitted.add(code));
      return c;
    };
    assert.ok(run('').includes('no_outlinks'));
    assert.ok(run('<a href="https://other.org/">Other site</a>').includes('no_outlinks'));
    assert.ok(run(`<a href="${URL_}">This page</a><a href="#top">Top</a>`).includes('no_outlinks'));
    assert.ok(!run('<a href="/x">Another page</a>').includes('no_outlinks'));
    assert.ok(run('<a href="https://blog.example.com/">Blog</a>').includes('no_outlinks'));
    assert.ok(!analyzePage(fetched(noNav('<a href="https://blog.example.com/">Blog</a>')), { siteHost: 'example.com', subdomainsInternal: true })
      .findings.some((f) => f.code === 'no_outlinks'));
  });
  void test('link_text_nondescriptive', () => {
    const r = analyze(L('<a href="/guides/other-topic">Read more »</a>'));
    assert.equal(detail(r, 'link_text_nondescriptive'), '1 link, e.g. "Read more »"');
    fires('link_text_nondescriptive', L('<a href="/a">click here</a>'));
    fires('link_text_nondescriptive', L('<a href="/a">Learn more…</a>'));
    silent('link_text_nondescriptive', L('<a href="/a">Read more about audits</a>'));
    silent('link_text_nondescriptive', L('<a href="/a" rel="nofollow">here</a>'));
    // Lists follow the page language: "mehr" is generic in German only.
    fires('link_text_nondescriptive', { lang: 'de', links: '<a href="/a">mehr</a>' });
    silent('link_text_nondescriptive', { lang: 'en', links: '<a href="/a">mehr</a>' });
  });
  void test('link_text_empty: no text, alt, aria-label or title', () => {
    fires('link_text_empty', L('<a href="/a"></a>'));
    fires('link_text_empty', L('<a href="/a"><img src="/i.png" alt="" width="1" height="1"></a>'));
    silent('link_text_empty', L('<a href="/a"><img src="/i.png" alt="Pricing" width="1" height="1"></a>'));
    silent('link_text_empty', L('<a href="/a" aria-label="Pricing"><svg></svg></a>'));
    silent('link_text_empty', L('<a href="/a" title="Pricing"></a>'));
  });
  void test('anchor_not_crawlable: missing, empty or javascript: href', () => {
    fires('anchor_not_crawlable', L('<a href="javascript:void(0)">Menu</a>'));
    fires('anchor_not_crawlable', L('<a onclick="go()">Menu</a>'));
    fires('anchor_not_crawlable', L('<a href="">Menu</a>'));
    fires('anchor_not_crawlable', L('<a href="file:///C:/x.html">Menu</a>'));
    silent('anchor_not_crawlable', L('<a name="top"></a><a id="section"></a><a role="button" href="javascript:x()">Menu</a>'));
    silent('anchor_not_crawlable', L('<a href="mailto:hi@example.com">Mail us</a><a href="tel:+123">Call us</a>'));
    silent('anchor_not_crawlable', L('<a aria-current="page">Current</a>'));
  });
  void test('link_to_http', () => {
    fires('link_to_http', { body: '<a href="http://other.org/">Other site</a>' });
    silent('link_to_http', { body: '<a href="https://other.org/">Other site</a>' });
  });
  void test('link_to_localhost, unless the page itself is local', () => {
    fires('link_to_localhost', { body: '<a href="http://localhost:3000/x">Local copy</a>' });
    fires('link_to_localhost', { body: '<a href="http://127.0.0.1/x">Local copy</a>' });
    fires('link_to_localhost', { body: '<a href="http://[::1]/x">Local copy</a>' });
    silent('link_to_localhost', { canonical: '', body: '<a href="http://localhost:3000/x">Local copy</a>' },
      { url: 'http://localhost:3000/a', finalUrl: 'http://localhost:3000/a' }, { siteHost: 'localhost:3000' });
    silent('link_to_localhost');
  });
});

void describe('structured data', () => {
  void test('jsonld_invalid', () => {
    const r = analyze({ head: '<script type="application/ld+json">{"@type": "Article",}</script><script type="application/ld+json">{"@type":"Thing"}</script>' });
    assert.equal(detail(r, 'jsonld_invalid'), '1 of 2 blocks');
    silent('jsonld_invalid', { head: '<script type="application/ld+json">{"@type": "Article"}</script>' });
  });
  void test('og_title_missing, og_description_missing, og_image_missing', () => {
    const c = codes({ og: '' });
    for (const code of ['og_title_missing', 'og_description_missing', 'og_image_missing']) assert.ok(c.includes(code), code);
    silent('og_image_missing', { og: CLEAN.og.replace('property="og:image"', 'property="og:image:secure_url"') });
    fires('og_title_missing', { og: CLEAN.og.replace('content="SEO basics"', 'content=""') });
  });
});

void describe('main content: the page own text, not navigation, link text or a heading about a problem (issue 14)', () => {
  void test('soft_404: a heading that talks about 404 errors is not an error page', () => {
    silent('soft_404', { title: '<title>How to fix 404 errors</title>', h1: '<h1>How to fix 404 errors</h1>', text: '<p>Short intro.</p>' });
    silent('soft_404', { h1: '<h1>404 errors explained</h1>', text: '<p>Short intro.</p>' });
    // ...while the same words as the whole heading are one.
    fires('soft_404', { h1: '<h1>404</h1>', text: '<p>Short intro.</p>' });
    fires('soft_404', { title: '<title>Not Found | Example Shop</title>', text: '<p>Short intro.</p>' });
    // A heading part that is only an error label wins over words that would otherwise mean "about errors".
    fires('soft_404', { title: '<title>404 error | How to find what you need</title>', text: '<p>Short intro.</p>' });
  });
  void test('soft_404: error phrases in links, navigation or sub-headings are not the page text', () => {
    silent('soft_404', { text: '<p>Short intro.</p>', links: '<a href="/help/x">The page you are looking for does not exist: what to do</a>' });
    silent('soft_404', { text: '<p>Short intro.</p>', body: '<aside>Page not found? Try the search.</aside>' });
    silent('soft_404', { text: '<h3>When a page could not be found</h3><p>Short intro.</p>' });
    fires('soft_404', { text: '<p>The page you are looking for does not exist.</p>' });
  });
  void test('placeholder_text: a hub linking to an article titled "Lorem ipsum…" has no placeholder text', () => {
    silent('placeholder_text', { links: '<a href="/posts/lorem">Lorem ipsum dolor sit amet</a>' });
    silent('placeholder_text', { body: '<nav>Lorem ipsum</nav><footer>lorem ipsum</footer>' });
    fires('placeholder_text', { text: `<p>${prose(193)} lorem ipsum</p>` });
    fires('placeholder_text', { h2: '<h2>Lorem ipsum</h2>' });
  });
  void test('thin_content: main/article text only when the page has one; link text never counts', () => {
    const r = analyze({ text: `<p>${prose(193)}</p><p>Read our guide.</p>`, links: `<p><a href="/x">${prose(50)}</a></p>` });
    assert.equal(r.wordCount, 200);
    // Body text outside <main> is not content when there is a <main>...
    const page = (body: string) => analyzePage(fetched(`<!doctype html><html lang="en"><head><title>${TITLE}</title></head><body>${body}</body></html>`),
      { siteHost: 'example.com' });
    assert.equal(page(`<div>${prose(300)}</div><main><p>${prose(20)}</p></main>`).wordCount, 20);
    assert.equal(page(`<div>${prose(300)}</div><article><p>${prose(20)}</p></article><article><p>${prose(5)}</p></article>`).wordCount, 25);
    assert.equal(page(`<div>${prose(300)}</div><div role="main"><p>${prose(20)}</p></div>`).wordCount, 20);
    // ...else the body minus nav, header, footer and aside; an empty <main> (an app shell) falls back to the body.
    assert.equal(page(`<header>${prose(9)}</header><div>${prose(30)}</div><footer>${prose(9)}</footer>`).wordCount, 30);
    assert.equal(page(`<main></main><div>${prose(30)}</div>`).wordCount, 30);
    // Thai main text counts its words, not its sentences.
    silent('thin_content', { lang: 'th', text: `<p>${'ฉันไปโรงเรียนทุกวันกับเพื่อนของฉันที่บ้าน '.repeat(18)}</p>` });
    fires('thin_content', { lang: 'th', text: `<p>${'ฉันไปโรงเรียนทุกวันกับเพื่อนของฉันที่บ้าน '.repeat(17)}</p>` });
  });
});

void describe('SEO depth, round two (issue 14)', () => {
  void test('h2_multiple: more than one non-empty h2', () => {
    silent('h2_multiple');
    silent('h2_multiple', { h2: '<h2>First steps</h2><h2></h2>' });
    const r = analyze({ h2: '<h2>First steps</h2><h2>Next steps</h2>' });
    assert.equal(detail(r, 'h2_multiple'), '2 h2s');
  });
  void test('h2_too_long: longest h2 over h2MaxChars (70)', () => {
    silent('h2_too_long', { h2: `<h2>${chars(70)}</h2>` });
    fires('h2_too_long', { h2: `<h2>${chars(71)}</h2>` });
    silent('h2_too_long', { h2: `<h2>${chars(71)}</h2>` }, {}, { thresholds: { h2MaxChars: 71 } });
    assert.equal(analyze({ h2: `<h2>${chars(71)}</h2>` }).h2, chars(71));
  });
  void test('readability_difficult: Flesch reading ease of English text under fleschMinScore (30)', () => {
    const hard = Array.from({ length: 12 }, () => 'Comprehensive organizational documentation necessitates considerable administrative responsibility and '
      + 'the institutionalization of interdepartmental communication methodologies for the organization.').join(' ');
    const easy = Array.from({ length: 30 }, () => 'The cat sat on the mat and it was fun for all of us.').join(' ');
    fires('readability_difficult', { text: `<p>${hard}</p>` });
    silent('readability_difficult', { text: `<p>${easy}</p>` });
    silent('readability_difficult', { text: `<p>${hard}</p>`, lang: 'de' });
    silent('readability_difficult'); // not English prose (no function words): not scored
    // The boundary, from the score itself: fires strictly below the threshold.
    const score = Number(/Flesch (-?[\d.]+)/.exec(detail(analyze({ text: `<p>${easy}</p>` }, {}, { thresholds: { fleschMinScore: 1000 } }), 'readability_difficult') ?? '')![1]);
    silent('readability_difficult', { text: `<p>${easy}</p>` }, {}, { thresholds: { fleschMinScore: score } });
    fires('readability_difficult', { text: `<p>${easy}</p>` }, {}, { thresholds: { fleschMinScore: score + 0.1 } });
  });
  void test('head_invalid_element: an element that ends <head> early', () => {
    const r = analyze({ head: '<img src="/pixel.gif" alt=""><meta name="robots" content="noindex"><link rel="alternate" hreflang="de" href="/de">' });
    assert.equal(detail(r, 'head_invalid_element'), '<img> ends the head before 2 tags');
    fires('head_invalid_element', { head: '<div>Banner</div>' });
    fires('head_invalid_element', { head: 'stray text' });
    silent('head_invalid_element', { head: '<noscript><img src="/pixel.gif"></noscript><script>var a;</script><style>p{}</style><template><div>x</div></template>' });
    silent('head_invalid_element', { body: '<img src="/x.png" alt="x" width="1" height="1">' });
    silent('head_invalid_element');
  });
  void test('missing_x_frame_options: neither X-Frame-Options nor CSP frame-ancestors', () => {
    const { 'x-frame-options': _x, ...noXfo } = GOOD_HEADERS;
    fires('missing_x_frame_options', {}, { headers: noXfo });
    silent('missing_x_frame_options', {}, { headers: { ...noXfo, 'content-security-policy': "default-src 'self'; frame-ancestors 'none'" } });
    silent('missing_x_frame_options', {}, { headers: { ...noXfo, 'x-frame-options': 'DENY' } });
    silent('missing_x_frame_options', {}, { statusCode: 404, headers: noXfo });
  });
  void test('missing_referrer_policy: no header and no meta referrer', () => {
    const { 'referrer-policy': _r, ...noRp } = GOOD_HEADERS;
    fires('missing_referrer_policy', {}, { headers: noRp });
    silent('missing_referrer_policy', { head: '<meta name="referrer" content="no-referrer">' }, { headers: noRp });
    silent('missing_referrer_policy', { head: '<meta name="referrer" content="">' }, {});
    fires('missing_referrer_policy', { head: '<meta name="referrer" content="">' }, { headers: noRp });
  });
  void test('form_on_http: any form on a plain-http page', () => {
    const http = { url: 'http://example.com/guides/seo-basics', finalUrl: 'http://example.com/guides/seo-basics' };
    fires('form_on_http', { canonical: '', body: '<form><input name="q"></form>' }, http);
    silent('form_on_http', { canonical: '' }, http);
    silent('form_on_http', { body: '<form><input name="q"></form>' });
  });
  void test('url_non_ascii: non-ASCII path or query, not the IDN host', () => {
    const at = (u: string): Partial<FetchedPage> => ({ url: u, finalUrl: u });
    fires('url_non_ascii', { canonical: '' }, at('https://example.com/caf%C3%A9'));
    fires('url_non_ascii', { canonical: '' }, at('https://example.com/s?name=%E6%97%A5'));
    silent('url_non_ascii', { canonical: '' }, at('https://example.com/cafe%20x'));
    silent('url_non_ascii', { canonical: '' }, at('https://xn--caf-dma.example/cafe'));
    assert.equal(detail(analyze({ canonical: '' }, at('https://example.com/caf%C3%A9')), 'url_non_ascii'), '/café');
  });
  void test('url_repetitive_path: a segment or a run repeated right after itself; numbers are not repeats', () => {
    const at = (u: string): Partial<FetchedPage> => ({ url: u, finalUrl: u });
    fires('url_repetitive_path', { canonical: '' }, at('https://example.com/shop/shop/item'));
    fires('url_repetitive_path', { canonical: '' }, at('https://example.com/a/b/a/b/'));
    silent('url_repetitive_path', { canonical: '' }, at('https://example.com/a/b/a/'));
    silent('url_repetitive_path', { canonical: '' }, at('https://example.com/2024/01/01/post'));
    silent('url_repetitive_path');
  });
  void test('url_internal_search: /search paths and search params with a value', () => {
    const at = (u: string): Partial<FetchedPage> => ({ url: u, finalUrl: u });
    fires('url_internal_search', { canonical: '' }, at('https://example.com/search/shoes'));
    fires('url_internal_search', { canonical: '' }, at('https://example.com/?s=shoes'));
    fires('url_internal_search', { canonical: '' }, at('https://example.com/products?q=red'));
    silent('url_internal_search', { canonical: '' }, at('https://example.com/?s='));
    silent('url_internal_search', { canonical: '' }, at('https://example.com/research/searching'));
    silent('url_internal_search', { canonical: '' }, at('https://example.com/products?page=2'));
  });
  void test('internal_link_tracking_params: internal links with utm_*, gclid, fbclid', () => {
    fires('internal_link_tracking_params', { links: '<a href="/guides/other-topic?utm_source=nav">Other topic guide</a>' });
    fires('internal_link_tracking_params', { links: '<a href="https://example.com/x?id=1&gclid=abc">Other topic guide</a>' });
    silent('internal_link_tracking_params', { links: '<a href="/guides/other-topic?id=2">Other topic guide</a><a href="https://other.example/?utm_source=us">Partner site</a>' });
    // The outlink itself is stored normalized, without the tracking parameter.
    assert.deepEqual(analyze({ links: '<a href="/guides/other-topic?utm_source=nav">Other topic guide</a>' }).outlinks.map((o) => o.url).sort(),
      ['https://example.com/', 'https://example.com/guides/other-topic']);
  });
  void test('external_link_followed: external links without nofollow, sponsored or ugc (informational)', () => {
    const r = analyze({ body: '<a href="https://other.example/a">Partner site</a><a href="https://other.example/b">Another partner</a>' });
    assert.equal(detail(r, 'external_link_followed'), '2 links');
    for (const rel of ['nofollow', 'sponsored', 'ugc']) silent('external_link_followed', { body: `<a href="https://other.example/a" rel="${rel}">Partner site</a>` });
    silent('external_link_followed', { head: '<meta name="robots" content="nofollow">', body: '<a href="https://other.example/a">Partner site</a>' });
    silent('external_link_followed');
  });
  void test('protocol_relative_link: // links and resources', () => {
    fires('protocol_relative_link', { body: '<a href="//cdn.example.com/x">CDN page link</a>' });
    fires('protocol_relative_link', { head: '<script src="//cdn.example.com/a.js"></script>' });
    silent('protocol_relative_link', { body: '<a href="/x/y">Root relative link</a><a href="https://cdn.example.com/x">Absolute link</a>' });
  });
  void test('hreflang_duplicate_lang: one language, several URLs', () => {
    const tags = (xs: Array<[string, string]>) => ({ head: xs.map(([l, h]) => `<link rel="alternate" hreflang="${l}" href="${h}">`).join('') });
    fires('hreflang_duplicate_lang', tags([['en', URL_], ['en', 'https://example.com/en/other'], ['x-default', URL_]]));
    fires('hreflang_duplicate_lang', tags([['en', URL_], ['EN', 'https://example.com/en/other'], ['x-default', URL_]]));
    silent('hreflang_duplicate_lang', tags([['en', URL_], ['en-GB', 'https://example.com/en-gb/x'], ['x-default', URL_], ['en', URL_]]));
  });
  void test('canonical_to_hreflang_alternate: canonical names another language version', () => {
    const de = 'https://example.com/de/seo-basics';
    const head = `<link rel="alternate" hreflang="en" href="${URL_}"><link rel="alternate" hreflang="de" href="${de}"><link rel="alternate" hreflang="x-default" href="${URL_}">`;
    fires('canonical_to_hreflang_alternate', { head, canonical: `<link rel="canonical" href="${de}">` });
    silent('canonical_to_hreflang_alternate', { head });
    // A parameter variant canonicalised to its clean URL is not in the hreflang set itself: fine.
    silent('canonical_to_hreflang_alternate', { head }, { url: `${URL_}?ref=x`, finalUrl: `${URL_}?ref=x` });
  });
  void test('resource_blocked_by_robots (caller-added): own-host resources robots.txt disallows', () => {
    const r = analyze({ head: '<script src="/private/app.js"></script><link rel="stylesheet" href="https://cdn.example.net/x.css">',
      body: '<img src="/img/a.png" alt="a" width="1" height="1">' });
    assert.deepEqual(r.resources.sort(), ['https://example.com/img/a.png', 'https://example.com/img/diagram.png', 'https://example.com/private/app.js']);
    const f = blockedResourcesFinding(r.resources, (u) => !u.includes('/private/'));
    assert.deepEqual(f, { code: 'resource_blocked_by_robots', severity: 'warning', detail: '1 resource, e.g. /private/app.js' });
    assert.equal(blockedResourcesFinding(r.resources, () => true), null);
    const merged = withFinding([{ code: 'a_first', severity: 'notice' }, { code: 'z_last', severity: 'notice' }], f).map((x) => x.code);
    assert.deepEqual(merged, ['a_first', 'resource_blocked_by_robots', 'z_last']);
  });
  void test('pagination_broken (site): which rel=next/prev links break the sequence', () => {
    const row = { url: 'https://e.com/p2', dir: 'next' as const, target: 'https://e.com/p3', t_state: 'ok', t_status: 200, t_reason: null, back: 'https://e.com/p2' };
    assert.equal(paginationProblem(row), null);
    assert.equal(paginationProblem({ ...row, back: 'https://e.com/p1' }), "next: the target's rel=prev points elsewhere");
    assert.equal(paginationProblem({ ...row, dir: 'prev', back: null }), 'prev: the target has no rel=next');
    assert.equal(paginationProblem({ ...row, t_status: 404 }), 'next: HTTP 404');
    assert.equal(paginationProblem({ ...row, t_status: 301 }), 'next: HTTP 301');
    assert.equal(paginationProblem({ ...row, t_state: 'failed', t_status: null, t_reason: 'timeout' }), 'next: timeout');
    assert.equal(paginationProblem({ ...row, t_state: 'failed', t_status: null, t_reason: 'robots_disallowed' }), null);
  });
  void test('pagination and h2 are kept for the site-level checks', () => {
    const r = analyze({ head: '<link rel="next" href="/guides/seo-basics?page=2"><link rel="prev" href="https://example.com/guides/">' });
    assert.equal(r.relNext, 'https://example.com/guides/seo-basics?page=2');
    assert.equal(r.relPrev, 'https://example.com/guides/');
    assert.equal(r.h2, 'First steps');
  });
});

void describe('findings', () => {
  void test('one finding per code, sorted by code, with the catalogue severity', () => {
    const r = analyze({ title: '', description: '', h1: '<h1>a</h1><h1>b</h1>', img: '<img src="/a"><img src="/b">' });
    const list = r.findings.map((f) => f.code);
    assert.deepEqual(list, [...list].sort());
    assert.equal(new Set(list).size, list.length);
    for (const f of r.findings) assert.equal(f.severity, findCheck(f.code)?.severity);
    assert.equal(detail(r, 'img_alt_missing'), '2 images');
  });
  void test('deterministic for the same input', () => {
    const p: Partial<Parts> = { title: '', body: '<a href="javascript:x()">x</a><div id="a"></div><div id="a"></div>' };
    assert.deepEqual(analyze(p), analyze(p));
  });
});

after(() => {
  // Every code analyzePage can emit was produced by some case above.
  const missing = PAGE_CHECK_CODES.filter((c) => !emitted.has(c));
  assert.deepEqual(missing, [], `codes never produced by a test: ${missing.join(', ')}`);
  for (const c of emitted) assert.ok(findCheck(c), `${c} is not in the catalogue`);
});
