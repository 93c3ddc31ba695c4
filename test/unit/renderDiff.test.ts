// Raw HTML vs rendered DOM (src/audit/renderDiff.ts): which differences count, and the finding they make.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzePage } from '../../src/audit/analyzePage';
import { renderDiff, renderDiffFinding } from '../../src/audit/renderDiff';

const ORIGIN = 'https://example.com';
const analyze = (html: string) => analyzePage({ url: `${ORIGIN}/`, finalUrl: `${ORIGIN}/`, statusCode: 200, headers: { 'content-type': 'text/html' }, redirectChain: [], contentType: 'text/html', bytes: html.length, ttfbMs: 1, durationMs: 1, body: html }, { siteHost: 'example.com' });
const text = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
const page = (o: { title?: string; links?: string[]; words?: number; canonical?: string; noindex?: boolean }) => `<!doctype html><html lang="en"><head>
${o.title ? `<title>${o.title}</title>` : ''}${o.canonical ? `<link rel="canonical" href="${o.canonical}">` : ''}${o.noindex ? '<meta name="robots" content="noindex">' : ''}
</head><body><main><p>${text(o.words ?? 0)}</p>${(o.links ?? []).map((l) => `<a href="${l}">Link to ${l}</a>`).join('')}</main></body></html>`;

test('identical raw and rendered pages: an empty diff and no finding', () => {
  const html = page({ title: 'Same', links: ['/a'], words: 300 });
  const d = renderDiff(analyze(html), analyze(html));
  assert.deepEqual(d, {});
  assert.equal(renderDiffFinding(d), null);
});

test('title, canonical, noindex and links written by JavaScript are each reported', () => {
  const raw = analyze(page({ words: 300, links: ['/a', '/gone'] }));
  const rendered = analyze(page({ title: 'From JS', canonical: `${ORIGIN}/`, noindex: true, words: 300, links: ['/a', '/b', '/c'] }));
  const d = renderDiff(raw, rendered);
  assert.deepEqual(d.title, { raw: null, rendered: 'From JS' });
  assert.deepEqual(d.canonical, { raw: null, rendered: `${ORIGIN}/` });
  assert.deepEqual(d.noindex, { raw: false, rendered: true });
  assert.deepEqual(d.links, { raw: 2, rendered: 3, added: 2, removed: 1, addedUrls: [`${ORIGIN}/b`, `${ORIGIN}/c`] });
  assert.equal(d.wordCount, undefined);
  assert.deepEqual(renderDiffFinding(d), { code: 'js_rendered_content_differs', severity: 'warning', detail: 'title added, canonical added, noindex added, links +2/-1' });
});

test('word count: a change of at most 10% is noise, more is reported', () => {
  const base = analyze(page({ title: 'T', words: 200 }));
  const within = analyze(page({ title: 'T', words: 220 }));
  const beyond = analyze(page({ title: 'T', words: 223 }));
  // 200 → 220 differs by 20 of 220 (9%): not reported; 200 → 223 by 23 of 223 (10.3%): reported.
  assert.equal(renderDiff(base, within).wordCount, undefined);
  assert.deepEqual(renderDiff(base, beyond).wordCount, { raw: base.wordCount, rendered: beyond.wordCount });
  assert.equal(renderDiffFinding(renderDiff(base, beyond))?.detail, `words ${base.wordCount} → ${beyond.wordCount}`);
});
