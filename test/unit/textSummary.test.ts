import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSummary, SiteIssue } from '../../src/audit/records';
import { formatDuration, formatRunReport, formatRunSummary } from '../../src/reports/text';

// A link finding counts its one target; the pages it covers are its sources (i + 1 of them here, the list capped as the
// summary caps it, sourcesCount keeping the full number).
const broken = (i: number): SiteIssue => {
  const to = `http://s.test/gone-${i}`;
  const sources = Array.from({ length: Math.min(i + 1, 2) }, (_, k) => ({ from: `http://s.test/p${k}`, to, text: 'gone' }));
  return { code: 'broken_internal_link', severity: 'critical', pages: [to], count: 1, detail: 'HTTP 404', sources, ...(i + 1 > 2 ? { sourcesCount: i + 1 } : {}) };
};

const summary: RunSummary = {
  pagesAudited: 495, pagesFailed: 5, successRate: 0.99, durationMs: 65_000,
  topFailReasons: [{ reason: 'http_5xx', count: 5 }],
  issuesByCode: { broken_internal_link: 30, duplicate_title: 24, status_4xx: 25 },
  // As the summary ranks them: critical first, so broken links lead the list.
  siteIssues: [...Array.from({ length: 20 }, (_, i) => broken(i)),
    { code: 'duplicate_title', severity: 'warning', pages: ['http://s.test/a', 'http://s.test/b', 'http://s.test/c'], count: 3, detail: 'Home' },
    { code: 'duplicate_description', severity: 'warning', pages: ['http://s.test/d', 'http://s.test/e'], count: 2, detail: `Long ${'x'.repeat(200)}` }],
  siteIssuesByCode: { broken_internal_link: 30, duplicate_title: 12, duplicate_description: 1 },
  siteIssuesTotal: 43,
  statusCodes: { 200: 470, 404: 25, 500: 5 },
};

test('the text summary lists each site-level kind once, with its count and two examples', () => {
  const text = formatRunSummary({ runId: 'r1', workflowId: 'w1', status: 'completed', summary, error: null, webUiUrl: 'http://ui/w1', health: { healthScore: 94, pagesWithCritical: 30, pages: 500 } });
  const lines = text.split('\n');
  assert.deepEqual(lines.slice(2, 4), ['  pages audited 495, failed 5, success rate 99.0%, duration 1m05s', '  health score 94 (30 of 500 pages with a critical finding)']);
  assert.ok(lines.includes('  top failure reasons: http_5xx ×5'));
  assert.ok(lines.includes('  site-level findings (one per link target or group of pages), examples (43 in all; the report lists every one)'));
  assert.ok(lines.includes('  findings by check (each count is pages affected; for the link checks, link targets):'), 'the tables say what they count');
  const site = lines.filter((l) => /^ {4}(broken_internal_link|duplicate_title|duplicate_description) /.test(l) && l.includes('http://'));
  assert.deepEqual(site, [
    `    ${'broken_internal_link'.padEnd(32)}     30  http://s.test/gone-0 – HTTP 404 (1 page); http://s.test/gone-1 – HTTP 404 (2 pages)`,
    `    ${'duplicate_title'.padEnd(32)}     12  http://s.test/a – Home (3 pages)`,
    // A long detail is cut to 60 characters.
    `    ${'duplicate_description'.padEnd(32)}      1  http://s.test/d – Long ${'x'.repeat(54)}… (2 pages)`,
  ]);
  assert.equal(lines.at(-1), '  Temporal Web UI: http://ui/w1');
});

test('a summary stored by an older version (no per-kind counts) still prints', () => {
  const old = { ...summary, siteIssuesByCode: undefined, siteIssuesTotal: undefined } as unknown as RunSummary;
  const text = formatRunSummary({ runId: 'r1', workflowId: 'w1', status: 'completed', summary: old, error: null, webUiUrl: 'u' });
  assert.match(text, /site-level findings \(one per link target or group of pages\), examples \(22 in all/);
  assert.match(text, / {4}broken_internal_link +20 {2}http/);
});

test('a failed run without a summary prints its error; durations read as people say them', () => {
  const text = formatRunSummary({ runId: 'r2', workflowId: 'w2', status: 'failed', summary: null, error: 'boom', webUiUrl: 'u' });
  assert.deepEqual(text.split('\n').slice(2), ['  error: boom', '  Temporal Web UI: u']);
  assert.equal(formatDuration(null), '–');
  assert.equal(formatDuration(4_400), '4s');
  assert.equal(formatDuration(125_000), '2m05s');
});

test('examples from site_issues (every kind the run has) take the place of the summary\'s top entries', () => {
  // As siteIssueExamples reads them: first page only, no source list, the number of sources as sourcesCount.
  const siteExamples: SiteIssue[] = [
    { code: 'broken_internal_link', severity: 'critical', pages: ['http://s.test/gone-7'], count: 1, detail: 'HTTP 404', sourcesCount: 8 },
    { code: 'orphan_page', severity: 'notice', pages: ['http://s.test/lost'], count: 1 },
  ];
  const text = formatRunSummary({ runId: 'r1', workflowId: 'w1', status: 'completed', summary, error: null, webUiUrl: 'u', siteExamples });
  const site = text.split('\n').filter((l) => /^ {4}\S+ +\d+ {2}http/.test(l));
  assert.deepEqual(site, [
    `    ${'broken_internal_link'.padEnd(32)}     30  http://s.test/gone-7 – HTTP 404 (8 pages)`,
    // A kind absent from the summary's counts shows how many examples it has.
    `    ${'orphan_page'.padEnd(32)}      1  http://s.test/lost (1 page)`,
  ]);
});

test('sitesweep report lists findings critical first, then by the pages they cover', () => {
  const text = formatRunReport({
    runId: 'r1', siteUrl: 'http://s.test/', status: 'completed', healthScore: 94, pagesWithCritical: 30, pages: 500, averagePageScore: 64.9,
    bySeverity: { critical: 55, warning: 534, notice: 460 },
    issues: [
      { severity: 'warning', code: 'status_3xx', count: 10, title: 'Redirected URL' },
      { severity: 'critical', code: 'status_4xx', count: 25, title: 'Client error (4xx)' },
      { severity: 'notice', code: 'missing_csp', count: 460, title: 'Missing CSP' },
      { severity: 'warning', code: 'http_page', count: 500, title: 'Page on http' },
      { severity: 'critical', code: 'broken_internal_link', count: 30, title: 'Broken internal link' },
      { severity: 'warning', code: 'noindex', count: 10, title: 'Noindex' },
    ],
    webUiUrl: 'u',
  });
  const codes = text.split('\n').slice(3, -1).map((l) => l.trim().split(/\s+/)[1]);
  assert.deepEqual(codes, ['broken_internal_link', 'status_4xx', 'http_page', 'noindex', 'status_3xx', 'missing_csp']);
  assert.match(text, /^Run r1 of http:\/\/s\.test\/: completed\n {2}health score 94 \(30 of 500 pages with a critical finding\), average page score 64\.9\n {2}findings: 55 critical, 534 warning, 460 notice\n/);
});

test('sitesweep report ends with the site findings\' examples, as the audit summary does', () => {
  const text = formatRunReport({
    runId: 'r1', siteUrl: 'http://s.test/', status: 'completed', healthScore: 94, pagesWithCritical: 30, pages: 500, averagePageScore: 64.9,
    bySeverity: { critical: 30 },
    issues: [{ severity: 'critical', code: 'broken_internal_link', count: 30, title: 'Broken internal link' }],
    webUiUrl: 'u',
    summary: { siteIssues: [], siteIssuesTotal: 31, siteIssuesByCode: { broken_internal_link: 30, orphan_page: 1 } },
    siteExamples: [
      { code: 'broken_internal_link', severity: 'critical', pages: ['http://s.test/gone-7'], count: 1, detail: 'HTTP 404', sourcesCount: 8 },
      { code: 'orphan_page', severity: 'notice', pages: ['http://s.test/lost'], count: 1 },
    ],
  });
  assert.deepEqual(text.split('\n').slice(-4), [
    '  site-level findings (one per link target or group of pages), examples (31 in all; the report lists every one)',
    `    ${'broken_internal_link'.padEnd(32)}     30  http://s.test/gone-7 – HTTP 404 (8 pages)`,
    `    ${'orphan_page'.padEnd(32)}      1  http://s.test/lost (1 page)`,
    '  Temporal Web UI: u',
  ]);
});

test("a site's text cannot drive the terminal: its control characters and bidi overrides print as U+FFFD", () => {
  // A hostile title: recolour the terminal, set its window title (OSC), overwrite the line (CR), reverse the text.
  const title = '\x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \rover \u202eesrever \x9b2J';
  const hostile: RunSummary = { ...summary, siteIssues: [{ code: 'duplicate_title', severity: 'warning', pages: ['http://s.test/a', 'http://s.test/b'], count: 2, detail: title }] };
  const text = formatRunSummary({ runId: 'r1', workflowId: 'w1', status: 'completed', summary: hostile, error: null, webUiUrl: 'http://ui/w1' });
  const line = text.split('\n').find((l) => l.includes('duplicate_title') && l.includes('http://'))!;
  assert.ok(line.includes('\ufffd[31mRED\ufffd[0m \ufffd]0;pwned\ufffd \ufffdover \ufffdesrever \ufffd2J'), line);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/, 'only line breaks are left');
  const report = formatRunReport({
    runId: 'r1', siteUrl: 'http://s.test/\x1b]0;x\x07', status: 'completed', healthScore: 90, pagesWithCritical: 0, pages: 2, averagePageScore: 90,
    bySeverity: {}, issues: [], webUiUrl: 'http://ui/w1',
  });
  assert.ok(report.startsWith('Run r1 of http://s.test/\ufffd]0;x\ufffd: completed'), report);
});

test('a run with no page audited has no health score (it read "health score 100 (0 of 0 pages …)")', () => {
  const text = formatRunReport({
    runId: 'r0', siteUrl: 'http://s.test/', status: 'cancelled', healthScore: 100, pagesWithCritical: 0, pages: 0, averagePageScore: 100,
    bySeverity: {}, issues: [], webUiUrl: 'u',
  });
  assert.equal(text.split('\n')[1], '  health score – (no page audited)');
  const summaryText = formatRunSummary({ runId: 'r0', workflowId: 'w0', status: 'cancelled', summary, error: null, webUiUrl: 'u', health: { healthScore: 100, pagesWithCritical: 0, pages: 0 } });
  assert.ok(summaryText.split('\n').includes('  health score – (no page audited)'));
});
