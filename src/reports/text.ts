// The plain-text views of a run the CLI prints: the summary after an audit (counts, findings by severity, examples of
// the site-level findings, one line per kind) and `sitesweep report`. Pure: formats what it is given (the catalogue
// only names the checks).
import { findCheck } from '../audit/catalogue';
import type { RunSummary, SiteIssue } from '../audit/records';
import { SEVERITY_RANK } from '../audit/summary';

export interface TextSummaryInput {
  runId: string;
  workflowId: string;
  status: string;
  summary: RunSummary | null;
  error: string | null;
  webUiUrl: string;
  /**
   * Examples of the site-level findings, a few per kind, most important kind first (from `site_issues`: every kind the
   * run has). Without them the summary's own top entries are used, which a site with many critical findings fills
   * with one kind.
   */
  siteExamples?: SiteIssue[];
  /** A completed run's health score, beside its page counts. */
  health?: { healthScore: number; pagesWithCritical: number; pages: number };
}

/** Site-level kinds listed with examples, and examples per kind. */
const SITE_KINDS_SHOWN = 10;
export const SITE_EXAMPLES_PER_KIND = 2;
/** A finding's detail (a shared description can be 300 characters) is cut to this many in an example. */
const DETAIL_CHARS = 60;

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * One example of a site-level finding: its page (or target), what it is about, and how many pages it covers: a link
 * finding's source pages (its count is its one target), a group's pages.
 */
function example(si: SiteIssue): string {
  const detail = si.detail && si.detail.length > DETAIL_CHARS ? `${si.detail.slice(0, DETAIL_CHARS - 1).trimEnd()}…` : si.detail;
  const covered = si.sourcesCount ?? (si.sources?.length || si.count);
  return `${si.pages[0] ?? ''}${detail ? ` – ${detail}` : ''} (${covered} ${covered === 1 ? 'page' : 'pages'})`;
}

/** "health score 94 (30 of 500 pages with a critical finding)": the audit summary and the report say it alike. */
function healthScore(h: { healthScore: number; pagesWithCritical: number; pages: number }): string {
  // Nothing audited (a run cancelled during discovery) is no evidence of health: not "100".
  if (h.pages === 0) return 'health score – (no page audited)';
  return `health score ${h.healthScore} (${h.pagesWithCritical} of ${h.pages} pages with a critical finding)`;
}

/**
 * Site findings grouped by kind, one line each (twenty broken links in a row used to hide every other kind). The count
 * is the kind's findings (`byCode`; summaries stored by older versions lack it); in brackets, the pages one finding
 * covers (a link's sources, a group's pages).
 */
function siteExampleLines(examples: SiteIssue[], total: number, byCode: Record<string, number> | undefined): string[] {
  const byKind = new Map<string, SiteIssue[]>();
  for (const si of examples) {
    const list = byKind.get(si.code) ?? [];
    list.push(si);
    byKind.set(si.code, list);
  }
  if (byKind.size === 0) return [];
  return [
    `  site-level findings (one per link target or group of pages), examples (${total} in all; the report lists every one)`,
    ...[...byKind].slice(0, SITE_KINDS_SHOWN).map(([code, list]) =>
      `    ${code.padEnd(32)} ${String(byCode?.[code] ?? list.length).padStart(6)}  ${list.slice(0, SITE_EXAMPLES_PER_KIND).map(example).join('; ')}`),
  ];
}

/**
 * Text from audited sites (titles, URLs, anchors) reaches a terminal here: its control characters (ESC sequences that
 * recolour the terminal or set its title, CR that overwrites a line, C1 controls) and bidirectional overrides are shown
 * as U+FFFD instead of acting. Line breaks and tabs of the report's own layout stay.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_FOR_TERMINAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, '\ufffd');
}

export function formatRunSummary(view: TextSummaryInput): string {
  const s = view.summary;
  const lines = [`\nRun ${view.runId} (${view.workflowId}): ${view.status}`];
  if (s) {
    lines.push(
      `  pages audited ${s.pagesAudited}, failed ${s.pagesFailed}, success rate ${(s.successRate * 100).toFixed(1)}%, duration ${formatDuration(s.durationMs)}`,
    );
    if (view.health) lines.push(`  ${healthScore(view.health)}`);
    if (s.topFailReasons.length) lines.push(`  top failure reasons: ${s.topFailReasons.map((r) => `${r.reason} ×${r.count}`).join(', ')}`);
    // A table by severity: critical first, most frequent first within each. A stored summary may hold a code this
    // version no longer has: it is listed under warning, without a title.
    // The tables count pages (a site check of links: its link targets); the site-level lines below count findings, so
    // one group of 16 pages with the same description is 16 here and 1 there: each says which.
    if (Object.keys(s.issuesByCode).length > 0) lines.push('  findings by check (each count is pages affected; for the link checks, link targets):');
    for (const sev of ['critical', 'warning', 'notice'] as const) {
      const rows = Object.entries(s.issuesByCode).filter(([code]) => (findCheck(code)?.severity ?? 'warning') === sev).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      if (rows.length === 0) continue;
      lines.push(`  ${sev.toUpperCase()} (${rows.reduce((n, [, c]) => n + c, 0)})`);
      for (const [code, n] of rows) lines.push(`    ${code.padEnd(32)} ${String(n).padStart(6)}  ${findCheck(code)?.title ?? ''}`);
    }
    if (s.delta) lines.push(`  since run ${s.delta.previousRunId}: ${s.delta.newFindings} new, ${s.delta.fixedFindings} fixed findings; ${s.delta.pagesAdded} pages added, ${s.delta.pagesRemoved} removed`);
    lines.push(...siteExampleLines(view.siteExamples ?? s.siteIssues, s.siteIssuesTotal ?? s.siteIssues.length, s.siteIssuesByCode));
  } else if (view.error) {
    lines.push(`  error: ${view.error}`);
  }
  lines.push(`  Temporal Web UI: ${view.webUiUrl}`);
  return terminalSafe(lines.join('\n'));
}

/** What `sitesweep report` prints, from the run's report (src/api/reports.ts builds it). */
export interface TextReportInput {
  runId: string;
  siteUrl: string;
  status: string;
  healthScore: number;
  pagesWithCritical: number;
  pages: number;
  averagePageScore: number;
  bySeverity: Record<string, number>;
  issues: ReadonlyArray<{ severity: string; code: string; count: number; title: string }>;
  webUiUrl: string;
  /** The run's summary (its site findings' counts), and a few findings of each site kind (siteIssueExamples). */
  summary?: Pick<RunSummary, 'siteIssues' | 'siteIssuesTotal' | 'siteIssuesByCode'> | null;
  siteExamples?: SiteIssue[];
}

/** The report as text: findings critical first, then by how many pages they cover (the report lists them by check). */
export function formatRunReport(r: TextReportInput): string {
  const rank = (sev: string) => SEVERITY_RANK[sev] ?? 3;
  const issues = [...r.issues].sort((a, b) => rank(a.severity) - rank(b.severity) || b.count - a.count || a.code.localeCompare(b.code));
  return terminalSafe([
    `Run ${r.runId} of ${r.siteUrl}: ${r.status}`,
    `  ${healthScore(r)}${r.pages > 0 ? `, average page score ${r.averagePageScore}` : ''}`,
    `  findings: ${r.bySeverity.critical ?? 0} critical, ${r.bySeverity.warning ?? 0} warning, ${r.bySeverity.notice ?? 0} notice`,
    ...issues.map((c) => `    ${c.severity.padEnd(8)} ${c.code.padEnd(32)} ${String(c.count).padStart(6)}  ${c.title}`),
    ...(r.siteExamples ? siteExampleLines(r.siteExamples, r.summary?.siteIssuesTotal ?? r.siteExamples.length, r.summary?.siteIssuesByCode) : []),
    `  Temporal Web UI: ${r.webUiUrl}`,
  ].join('\n'));
}
