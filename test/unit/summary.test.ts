// The run summary stays bounded whatever the number and size of site findings (it is also the workflow result).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSummary, SiteIssueTally, SUMMARY_LIST_CAP, SUMMARY_SITE_ISSUES, topCandidates } from '../../src/audit/summary';
import { nothingAuditedError, onlyHttpErrors } from '../../src/audit/records';
import { mulberry32 } from '../fixtures/random';
import type { SiteIssue } from '../../src/workflows/contracts';

const base = { pagesAudited: 3, pagesFailed: 1, durationMs: 10, failReasons: [], statusCodes: [], issueCounts: [{ code: 'title_missing', count: 2 }] };

test('counts cover every site finding; the list keeps the top ones, critical and largest first', () => {
  const issues: SiteIssue[] = [
    { code: 'orphan_page', severity: 'warning', pages: ['a', 'b', 'c'], count: 3 },
    { code: 'broken_internal_link', severity: 'critical', pages: ['x'], count: 1, sources: [{ from: 'a', to: 'x', text: 't' }] },
    { code: 'duplicate_title', severity: 'warning', pages: ['d', 'e'], count: 2, detail: 'T' },
    { code: 'broken_internal_link', severity: 'critical', pages: ['y'], count: 1 },
  ];
  const s = buildSummary({ ...base, siteIssues: issues });
  assert.deepEqual(s.issuesByCode, { broken_internal_link: 2, duplicate_title: 2, orphan_page: 3, title_missing: 2 });
  assert.deepEqual(s.siteIssuesByCode, { broken_internal_link: 2, duplicate_title: 1, orphan_page: 1 });
  assert.equal(s.siteIssuesTotal, 4);
  assert.deepEqual(s.siteIssues.map((i) => [i.code, i.pages[0]]), [['broken_internal_link', 'x'], ['broken_internal_link', 'y'], ['orphan_page', 'a'], ['duplicate_title', 'd']]);
  assert.equal(s.successRate, 0.75);
});

test('20,000 findings with long URLs and many sources: under 100 KB, lists capped, full sizes kept', () => {
  // Shared lists (the summary copies what it keeps), so the input itself stays cheap to build.
  const long = (i: number) => `https://example.com/${'x'.repeat(1_500)}/${i}`;
  const pages = Array.from({ length: 30 }, (_, j) => long(j));
  const sources = Array.from({ length: 40 }, (_, j) => ({ from: long(j), to: long(99), text: 'anchor' }));
  const detail = 'd'.repeat(5_000);
  const issues: SiteIssue[] = Array.from({ length: 20_000 }, (_, i) => ({
    code: i % 2 ? 'broken_internal_link' : 'orphan_page',
    severity: i % 2 ? 'critical' : 'warning',
    pages,
    count: 30,
    detail,
    sources,
    sourcesCount: 4_000,
  }));
  const s = buildSummary({ ...base, siteIssues: issues });
  const bytes = JSON.stringify(s).length;
  assert.ok(bytes < 100_000, `${bytes} bytes`);
  assert.ok(s.siteIssues.length >= 1 && s.siteIssues.length <= SUMMARY_SITE_ISSUES);
  for (const i of s.siteIssues) {
    assert.equal(i.pages.length, SUMMARY_LIST_CAP);
    assert.equal(i.sources!.length, SUMMARY_LIST_CAP);
    assert.equal(i.count, 30);
    assert.equal(i.sourcesCount, 4_000);
  }
  assert.equal(s.siteIssuesTotal, 20_000);
  assert.equal(s.issuesByCode.broken_internal_link, 10_000 * 30);
  // Ordinary URLs: the whole top 50 fits.
  const small = buildSummary({ ...base, siteIssues: issues.map((i, n) => ({ ...i, pages: [`https://example.com/${n}`], detail: 'x', sources: [] })) });
  assert.equal(small.siteIssues.length, SUMMARY_SITE_ISSUES);
});

test('a tally fed chunk by chunk gives the summary of the whole list (ties broken by ordinal, full details ranked)', () => {
  const random = mulberry32(7);
  const codes = ['orphan_page', 'broken_internal_link', 'duplicate_title', 'deep_page'];
  const severities: SiteIssue['severity'][] = ['critical', 'warning', 'notice'];
  // Many ties (few counts, codes, details), and details that differ only past the summary's string cap.
  const issues: SiteIssue[] = Array.from({ length: 1_500 }, (_, i) => ({
    code: codes[Math.floor(random() * codes.length)],
    severity: severities[Math.floor(random() * severities.length)],
    pages: Array.from({ length: 1 + Math.floor(random() * 15) }, (_, j) => `https://example.com/${i}/${j}`),
    count: 1 + Math.floor(random() * 3),
    ...(random() < 0.5 ? { detail: `${'d'.repeat(1_200)}${Math.floor(random() * 3)}` } : {}),
    ...(random() < 0.5 ? { sources: [{ from: `https://example.com/s${i}`, to: `https://example.com/${i}/0`, text: 'a' }], sourcesCount: 40 } : {}),
  }));
  const whole = buildSummary({ ...base, siteIssues: issues });
  const tally = new SiteIssueTally();
  for (let i = 0; i < issues.length;) {
    const n = 1 + Math.floor(random() * 120);
    tally.add(issues.slice(i, i + n), i);
    i += n;
  }
  const chunked = buildSummary({ ...base, siteIssues: tally });
  assert.deepEqual(chunked, whole);
  // The order, computed independently: severity, most pages, code, full detail, position.
  const rankOf: Record<string, number> = { critical: 0, warning: 1, notice: 2 };
  const expected = issues.map((s, i) => ({ s, i })).sort((a, b) => rankOf[a.s.severity] - rankOf[b.s.severity] || b.s.count - a.s.count ||
    a.s.code.localeCompare(b.s.code) || (a.s.detail ?? '').localeCompare(b.s.detail ?? '') || a.i - b.i);
  assert.ok(whole.siteIssues.length >= 40, `${whole.siteIssues.length} kept within the byte budget`);
  assert.deepEqual(whole.siteIssues.map((s) => s.pages[0]), expected.slice(0, whole.siteIssues.length).map((e) => e.s.pages[0]));
  assert.equal(whole.siteIssuesTotal, 1_500);
  // Gaps between ordinals (one range per check) keep the order.
  const gapped = new SiteIssueTally();
  gapped.add(issues.slice(0, 700), 0);
  gapped.add(issues.slice(700), 1 << 24);
  assert.deepEqual(buildSummary({ ...base, siteIssues: gapped }), whole);
  // Lists only for each chunk's top candidates (what summarize reads back for a check inserted by PostgreSQL): the
  // same summary; the other findings come with counts and no lists.
  const listless = new SiteIssueTally();
  for (const [from, to, first] of [[0, 700, 0], [700, 1_500, 1 << 24]] as const) {
    const chunk = issues.slice(from, to);
    const keep = new Set(topCandidates(chunk, first));
    assert.equal(keep.size, SUMMARY_SITE_ISSUES);
    listless.add(chunk.map((s, k) => (keep.has(k) ? s : { ...s, pages: [], ...(s.sources ? { sources: [] } : {}) })), first);
  }
  assert.deepEqual(buildSummary({ ...base, siteIssues: listless }), whole);
});

test('nothingAuditedError: a run with an audited page passes; one with none names why (batches and the CLI say the same)', () => {
  assert.equal(nothingAuditedError(1, 500, 'http_5xx'), null);
  assert.equal(nothingAuditedError(0, 0, undefined), 'no pages could be audited');
  assert.equal(nothingAuditedError(0, 1, 'connection_refused'), 'connection_refused: every page failed (1 page)');
  assert.equal(nothingAuditedError(0, 3, undefined), 'unknown: every page failed (3 pages)');
});

test('onlyHttpErrors: a run whose every answer was 4xx/5xx names them; any other answer, or none, is null', () => {
  assert.equal(onlyHttpErrors({ 404: 1 }), '404 ×1');
  assert.equal(onlyHttpErrors({ 500: 2, 404: 5, none: 3 }), '404 ×5, 500 ×2', 'network failures (none) do not count either way');
  assert.equal(onlyHttpErrors({ 200: 1, 404: 9 }), null);
  assert.equal(onlyHttpErrors({ 301: 1, 404: 1 }), null, 'a redirect is an answer of the site');
  assert.equal(onlyHttpErrors({}), null);
  assert.equal(onlyHttpErrors({ none: 4 }), null, 'nothing answered: nothingAuditedError says that');
});
