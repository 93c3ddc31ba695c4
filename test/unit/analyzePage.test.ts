// analyzePage's extracted fields, outlinks, hashes, non-HTML responses and the memory rule.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { analyzePage, simhashSimilarity } from '../../src/audit/analyzePage';
import { descriptionPixelWidth, textPixelWidth, titlePixelWidth } from '../../src/audit/pixelWidth';
import {
  charLength, collapsedWords, collapseWhitespace, copyString, countWords, digestOf, englishSyllables, fleschReadingEase, hasNoSpaceScript, isSpace, simhash64, wordDigest, words,
} from '../../src/audit/text';
import type { FetchedPage } from '../../src/audit/types';

const URL_ = 'https://example.com/blog/post';

function page(body: string | null, over: Partial<FetchedPage> = {}): FetchedPage {
  return {
    url: URL_, finalUrl: URL_, statusCode: 200, headers: { 'content-type': 'text/html' }, redirectChain: [], contentType: 'text/html',
    bytes: body?.length ?? 0, ttfbMs: 50, durationMs: 60, body, ...over,
  };
}

const opts = { siteHost: 'example.com' };

void describe('extracted fields', () => {
  const doc = `<!DOCTYPE html><html lang=" en-GB "><head>
    <title>  A   post
      title </title><title>Second</title>
    <meta name="description" content=" First &amp; best ">
    <link rel="canonical" href="/blog/post?utm_source=feed#x">
    <link rel="alternate" hreflang="fr" href="https://example.com/fr/post">
    <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"BlogPosting"},{"@type":["Person","Thing"]}]}</script>
    <script type="application/ld+json">[{"@type":"BreadcrumbList"},{"@type":"BlogPosting"}]</script>
  </head><body>
    <h1>  Main <em>heading</em> </h1><h1></h1>
    <p>Hello wo<b>rld</b>, this is the post.</p><div>Next</div><div>block</div>
    <img src="a.png"><picture><img src="b.png"></picture><noscript><img src="c.png"></noscript>
  </body></html>`;
  const r = analyzePage(page(doc), opts);

  void test('title, description, h1, lang: first non-empty, whitespace-collapsed, entities decoded', () => {
    assert.equal(r.title, 'A post title');
    assert.equal(r.description, 'First & best');
    assert.equal(r.h1, 'Main heading');
    assert.equal(r.h1Count, 2);
    assert.equal(r.lang, 'en-GB');
  });
  void test('canonical is absolute and normalized (fragment and tracking params dropped)', () => {
    assert.equal(r.canonical, URL_);
    assert.equal(r.indexable, true);
    assert.ok(r.findings.some((f) => f.code === 'canonical_fragment'));
  });
  void test('word count keeps inline words together and splits blocks', () => {
    // "Main heading Hello world this is the post Next block"
    assert.equal(r.wordCount, 10);
  });
  void test('imageCount skips noscript fallbacks; jsonLdTypes from roots, arrays and @graph, deduplicated', () => {
    assert.equal(r.imageCount, 2);
    assert.deepEqual(r.jsonLdTypes, ['BlogPosting', 'Person', 'Thing', 'BreadcrumbList']);
  });
  void test('hreflang links are absolute', () => {
    assert.deepEqual(r.hreflang, [{ lang: 'fr', href: 'https://example.com/fr/post' }]);
  });
});

void describe('outlinks', () => {
  const links = `<html><head><title>t</title></head><body>
    <a href="/a#one">First A</a>
    <a href="/a#two">Second A</a>
    <a href="/b"></a><a href="/b">B text</a>
    <a href="/c" rel="nofollow">C</a><a href="/c">C again</a>
    <a href="/d" rel="nofollow ugc">D</a>
    <a href="HTTPS://Example.COM:443/e?utm_source=x&amp;id=3">E</a>
    <a href="https://blog.example.com/">Blog</a>
    <a href="https://other.org/x">Other</a>
    <a href="mailto:a@example.com">Mail</a><a href="tel:1">Tel</a><a href="javascript:void(0)">JS</a><a href="#top">Top</a>
    <a href="ftp://example.com/f">FTP</a>
    <a href="/img"><img src="i.png" alt="  Image   alt "></a>
    <a href="/long">${'x '.repeat(300)}</a>
  </body></html>`;
  const r = analyzePage(page(links), opts);
  const byUrl = new Map(r.outlinks.map((o) => [o.url, o]));

  void test('only http(s), fragments dropped, deduplicated by URL with the first text', () => {
    assert.deepEqual(r.outlinks.map((o) => o.url), [
      'https://example.com/a', 'https://example.com/b', 'https://example.com/c', 'https://example.com/d',
      'https://example.com/e?id=3', 'https://blog.example.com/', 'https://other.org/x', 'https://example.com/img', 'https://example.com/long',
    ]);
    assert.equal(byUrl.get('https://example.com/a')?.text, 'First A');
    assert.equal(byUrl.get('https://example.com/b')?.text, 'B text');
    assert.equal(byUrl.get('https://example.com/img')?.text, 'Image alt');
  });
  void test('nofollow only when every link to the URL is nofollow', () => {
    assert.equal(byUrl.get('https://example.com/c')?.nofollow, false);
    assert.equal(byUrl.get('https://example.com/d')?.nofollow, true);
  });
  void test('internal: same host, or subdomains when asked', () => {
    assert.equal(byUrl.get('https://example.com/a')?.internal, true);
    assert.equal(byUrl.get('https://blog.example.com/')?.internal, false);
    assert.equal(byUrl.get('https://other.org/x')?.internal, false);
    const sub = analyzePage(page(links), { siteHost: 'example.com', subdomainsInternal: true });
    assert.equal(sub.outlinks.find((o) => o.url === 'https://blog.example.com/')?.internal, true);
  });
  void test('link text is capped at 200 characters', () => {
    assert.equal(charLength(byUrl.get('https://example.com/long')?.text ?? ''), 200);
  });
  void test('relative links resolve against <base href>', () => {
    const b = analyzePage(page('<html><head><base href="https://cdn.example.com/sub/"></head><body><a href="x">X</a><a href="/y">Y</a></body></html>'), opts);
    assert.deepEqual(b.outlinks.map((o) => o.url), ['https://cdn.example.com/sub/x', 'https://cdn.example.com/y']);
    assert.deepEqual(b.outlinks.map((o) => o.internal), [false, false]);
  });
});

void describe('content hashes', () => {
  const body = (text: string, wrap = 'p'): string => `<html><body><nav>Menu items</nav><${wrap}>${text}</${wrap}><footer>© 2025</footer></body></html>`;
  const text = Array.from({ length: 300 }, (_, i) => `word${i % 97} term${i % 13}`).join(' ');

  void test('contentHash: same main text, same hash, whatever the markup and boilerplate', () => {
    const a = analyzePage(page(body(text)), opts);
    const b = analyzePage(page(body(text.toUpperCase(), 'div').replace('Menu items', 'Other menu')), opts);
    assert.match(a.contentHash ?? '', /^[0-9a-f]{40}$/);
    assert.equal(a.contentHash, b.contentHash);
    assert.notEqual(a.contentHash, analyzePage(page(body(`${text} extra`)), opts).contentHash);
  });
  void test('simhash: 16 hex chars, near-duplicates score high, unrelated text low', () => {
    const a = analyzePage(page(body(text)), opts).simhash ?? '';
    const near = analyzePage(page(body(text.replace('word5 term5', 'changed words here'))), opts).simhash ?? '';
    const other = analyzePage(page(body(Array.from({ length: 600 }, (_, i) => `other${i % 89}`).join(' '))), opts).simhash ?? '';
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(simhashSimilarity(a, a), 1);
    assert.ok(simhashSimilarity(a, near) >= 0.9, `near ${simhashSimilarity(a, near)}`);
    assert.ok(simhashSimilarity(a, other) < 0.8, `other ${simhashSimilarity(a, other)}`);
  });
  void test('no text, no hashes', () => {
    const r = analyzePage(page('<html><body><nav>Only navigation</nav></body></html>'), opts);
    assert.equal(r.wordCount, 0);
    assert.equal(r.contentHash, null);
    assert.equal(r.simhash, null);
  });
  void test('simhashSimilarity rejects malformed input and counts differing bits', () => {
    assert.throws(() => simhashSimilarity('xyz', '0000000000000000'));
    assert.equal(simhashSimilarity('0000000000000000', 'ffffffffffffffff'), 0);
    assert.equal(simhashSimilarity('0000000000000000', '000000000000000f'), 1 - 4 / 64);
    assert.equal(simhash64([]), null);
  });
});

void describe('responses without an HTML body', () => {
  void test('a PDF: headers still give robots and canonical, no HTML findings', () => {
    const r = analyzePage(page(null, {
      url: 'https://example.com/a.pdf', finalUrl: 'https://example.com/a.pdf', contentType: 'application/pdf', bytes: 5000,
      headers: { 'content-type': 'application/pdf', 'x-robots-tag': 'noindex', link: '<https://example.com/a.html>; rel="canonical"' },
    }), opts);
    const codes = r.findings.map((f) => f.code);
    assert.ok(codes.includes('noindex'));
    assert.ok(codes.includes('canonical_elsewhere'));
    assert.ok(!codes.includes('title_missing') && !codes.includes('canonical_missing'));
    assert.equal(r.canonical, 'https://example.com/a.html');
    assert.equal(r.noindex, true);
    assert.equal(r.indexable, false);
    assert.equal(r.title, null);
  });
  void test('an oversized page: page_too_large and response checks only', () => {
    const r = analyzePage(page(null, { bytes: 5_000_000 }), opts);
    assert.deepEqual(r.findings.map((f) => f.code), ['missing_csp', 'missing_hsts', 'missing_nosniff', 'page_too_large']);
    assert.equal(r.indexable, true);
  });
  void test('a redirect that was not followed', () => {
    const r = analyzePage(page(null, { statusCode: 301, headers: { location: '/x' } }), opts);
    assert.deepEqual(r.findings.map((f) => f.code), ['status_3xx']);
    assert.equal(r.indexable, false);
  });
  void test('no response at all', () => {
    const r = analyzePage(page(null, { statusCode: 0, ttfbMs: 0, headers: {} }), opts);
    assert.deepEqual(r.findings, []);
  });
  void test("a followed redirect is judged on its chain and final status, not on the final response's headers", () => {
    const chain = [{ url: 'https://example.com/old', status: 301 }];
    // The final response (no security headers, a noindex header) belongs to the target's own record.
    const bare = analyzePage(page(null, { statusCode: 200, headers: { 'x-robots-tag': 'noindex' }, redirectChain: chain }), opts);
    assert.deepEqual(bare.findings.map((f) => f.code), ['status_3xx']);
    assert.equal(bare.noindex, false);
    const broken = analyzePage(page(null, { statusCode: 404, headers: {}, redirectChain: chain }), opts);
    assert.deepEqual(broken.findings.map((f) => f.code).sort(), ['status_3xx', 'status_4xx'], 'the final status still counts');
  });
});

void describe('text helpers', () => {
  void test('words: punctuation trimmed, symbols dropped', () => {
    assert.deepEqual(words('Hello, World! — 42 “quoted” ->'), ['hello', 'world', '42', 'quoted']);
    assert.equal(countWords(''), 0);
  });
  void test('words: scripts without spaces are segmented into words (Intl.Segmenter), not one word per sentence', () => {
    // "I go to school every day with my friend at home": 11 words, no spaces (whitespace splitting counts 1).
    assert.equal(countWords('ฉันไปโรงเรียนทุกวันกับเพื่อนของฉันที่บ้าน'), 11);
    assert.deepEqual(words('日本語のテキスト and two'), ['日本語', 'の', 'テキスト', 'and', 'two']);
    assert.equal(countWords('我喜欢在周末和朋友一起去公园散步'), 9);
    assert.ok(countWords('ຂ້ອຍມັກກິນເຂົ້າ') > 1, 'Lao');
    assert.ok(countWords('ខ្ញុំចូលចិត្តញ៉ាំបាយ') > 1, 'Khmer');
    assert.ok(countWords('ကျွန်တော်ထမင်းစားချင်တယ်') > 1, 'Burmese');
    // Punctuation segments are not words; a Thai sentence next to English keeps both.
    assert.equal(countWords('สวัสดี, hello world!'), 3);
    assert.equal(hasNoSpaceScript('plain English text'), false);
    assert.equal(hasNoSpaceScript('ภาษาไทย'), true);
  });
  void test('isSpace is exactly \\s, code unit by code unit', () => {
    for (let c = 0; c < 0x10000; c++) assert.equal(isSpace(c), /\s/.test(String.fromCharCode(c)), `U+${c.toString(16)}`);
  });
  void test('collapsedWords = words(collapseWhitespace(text)), also where whitespace changes segments or case', () => {
    const cases = [
      '  Hello,\n\tworld!\u00a0\u2028 x\u3000y  ',
      'ΑΣ\ufeffΒ ΑΣ Β ΟΔΟΣ.', // a BOM keeps Σ medial (σ) where a space makes it final (ς)
      'ภาษา\n\nไทย and  English', 'a\u200bb c\u180ed \u0085e',
    ];
    for (const t of cases) assert.deepEqual(collapsedWords(t), words(collapseWhitespace(t)), JSON.stringify(t));
    // Each edge of the no-space script ranges (the fast path gives up there by char code, not by the regex).
    const edges = [0x0e00, 0x0eff, 0x1000, 0x109f, 0x1780, 0x17ff, 0x19e0, 0x19ff, 0x3040, 0x30ff, 0x3400, 0x4dbf, 0x4e00, 0x9fff, 0xf900, 0xfaff, 0xaa60, 0xaa7f, 0xfeff];
    for (const e of edges) {
      for (const c of [e - 1, e, e + 1]) {
        const t = `Word ${String.fromCharCode(c)}x  y${String.fromCharCode(c)} ΑΣ z`;
        assert.deepEqual(collapsedWords(t), words(collapseWhitespace(t)), `U+${c.toString(16)}`);
      }
    }
    // Why the BOM case collapses first: lower-cased in place, the Σ before a BOM is not word-final.
    assert.deepEqual(collapsedWords('ΑΣ\ufeffΒ'), ['ας', 'β']);
    assert.deepEqual(words('ΑΣ\ufeffΒ'), ['ασ', 'β']);
  });
  void test('wordDigest = count, sha1 of the joined words and SimHash of collapsedWords, on any text', () => {
    const same = (t: string, label = JSON.stringify(t).slice(0, 80)) => assert.deepEqual(wordDigest(t), digestOf(collapsedWords(t)), label);
    const cases = [
      '', '   ', '!!! ... ---', 'one', 'two words', 'The cat sat on the mat, and the dog sat too.',
      "Don\u2019t stop \u2014 caf\u00e9 na\u00efve \u00fcber \u0416\u0443\u043a STRASSE Stra\u00dfe \u0130stanbul",
      'emoji \ud83d\ude00 alone, word\ud83d\ude00glued, \u2192 arrows \u2190', 'lone \ud800 high, lone \udc00 low, x\ud800y',
      'ΑΣ\ufeffΒ ΑΣ Β ΟΔΟΣ.', 'ภาษา\n\nไทย and  English', '日本語のテキスト and more', 'a\u200bb c\u180ed \u0085e \u00a0\u2028\u3000',
      'x'.repeat(70_000), Array.from({ length: 9_000 }, (_, i) => `w${i % 97}`).join(' '),
    ];
    for (const t of cases) same(t);
    // Random text over ASCII, Latin-1, Greek, Cyrillic, symbols, surrogates, whitespace and punctuation (the one-scan
    // path), and the same with the chars that send it to collapsedWords (a BOM, scripts without spaces) now and then.
    const alphabet = [...'abcXYZ019 .,;!?-\'"\t\n', '\u00e9', '\u00df', '\u03a3', '\u0416', '\u00a0', '\u2019', '\u2014', '\u3000', '\u2192', '\ud83d\ude00', '\ud800', '\udc00', '\u0130'];
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    let onePass = 0;
    for (let k = 0; k < 600; k++) {
      const t = Array.from({ length: 1 + rnd(300) }, () => (k % 5 === 4 && rnd(50) === 0 ? ['\ufeff', '\u4e00', '\u0e01'][rnd(3)] : alphabet[rnd(alphabet.length)])).join('');
      if (!t.includes('\ufeff') && !hasNoSpaceScript(t)) onePass++;
      same(t, `random #${k}`);
    }
    assert.ok(onePass >= 480, `${onePass} of 600 random texts took the one-scan path`);
    // Tokens made only of symbols are not words, whichever path reads them.
    assert.deepEqual(collapsedWords('Emoji \ud83d\ude00 alone \u2192 caf\u00e9\ud83d\ude00 x'), ['emoji', 'alone', 'caf\u00e9\ud83d\ude00', 'x']);
    assert.equal(wordDigest('Emoji \ud83d\ude00 alone \u2192 caf\u00e9\ud83d\ude00 x').count, 4);
    assert.deepEqual(wordDigest('Hello, World'), { count: 2, contentHash: '2aae6c35c94fcfb415dbe95f408b9ce91ee846ed', simhash: simhash64(['hello', 'world']) });
  });
  void test('fleschReadingEase: English only, enough words, sentences at . ! ? and line breaks', () => {
    const easy = Array.from({ length: 30 }, () => 'The cat sat on the mat.').join(' ');
    const r = fleschReadingEase(easy);
    assert.ok(r !== null && r.score > 90, JSON.stringify(r));
    assert.equal(r?.sentences, 30);
    assert.equal(fleschReadingEase('The cat sat on the mat.'), null, 'too short to score');
    // Made-up words with no English function words: not scored at all.
    assert.equal(fleschReadingEase(Array.from({ length: 120 }, () => 'bolamika').join(' ')), null);
    assert.equal(englishSyllables('cat'), 1);
    assert.equal(englishSyllables('readability'), 5);
    assert.equal(englishSyllables('make'), 1);
  });
  void test('charLength counts code points', () => {
    assert.equal(charLength('a😀b'), 3);
  });
  void test('copyString returns an equal string', () => {
    const big = `${'x'.repeat(1000)}The title we keep${'y'.repeat(1000)}`;
    const kept = copyString(big.slice(1000, 1017));
    assert.equal(kept, 'The title we keep');
    assert.equal(copyString(''), '');
  });
  void test('pixel widths use Arial advance widths', () => {
    assert.equal(titlePixelWidth('W'), 18.88);
    assert.equal(descriptionPixelWidth('i'), 3.108);
    assert.equal(textPixelWidth('', 20), 0);
    assert.ok(titlePixelWidth('中文') > titlePixelWidth('ab'));
  });
});

void test('kept strings do not retain the page HTML', () => {
  v8.setFlagsFromString('--expose_gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const pad = 'z'.repeat(1_000_000);
  const make = (i: number): string => `<html lang="en-GB-oxendict"><head><title>Title number ${i} of the memory test</title>`
    + `<meta name="description" content="Description number ${i} of the memory test">`
    + `<link rel="canonical" href="https://example.com/canonical/page/${i}"><link rel="alternate" hreflang="en-GB" href="/p/${i}">`
    + `<script type="application/ld+json">{"@type":"LongTypeName${i}"}</script></head>`
    + `<body><h1>Heading number ${i} of the memory test</h1><p>${pad}</p>`
    + `<a href="javascript:openTheMenuNumber(${i})">x</a><a href="/p/${i}/next">Link text number ${i} of the test</a></body></html>`;
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = [];
  for (let i = 0; i < 30; i++) kept.push(analyzePage(page(make(i)), opts));
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  assert.equal(kept.length, 30);
  assert.equal(kept[3].title, 'Title number 3 of the memory test');
  // 30 pages of 1 MB each would be ~30 MB if any kept string were a slice of its page.
  assert.ok(grown < 8_000_000, `heap grew by ${grown} bytes`);
});
