// The execution summary, as a function of counts read from the run's rows (pure, unit-tested). It is both the stored
// audit_runs.summary and the workflow result, so it stays bounded whatever the site size: the site findings are
// counted over the full lists, but only the top entries are kept, each with a few pages and sources.
import type { RunSummary, SiteIssue } from './records';

export interface SummaryInput {
  pagesAudited: number;
  pagesFailed: number;
  durationMs: number;
  failReasons: Array<{ reason: string; count: number }>;
  issueCounts: Array<{ code: string; count: number }>;
  statusCodes: Array<{ code: number | null; count: number }>;
  /** The full site-level findings (the summary keeps the top ones). */
  siteIssues: SiteIssue[];
}

/** Site findings kept in the summary, pages and sources kept per finding, longest string kept, byte budget. */
export const SUMMARY_SITE_ISSUES = 50;
export const SUMMARY_LIST_CAP = 10;
export const SUMMARY_STRING_CAP = 1_000;
export const SUMMARY_SITE_ISSUES_BYTES = 64 * 1024;

const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, notice: 2 };

function cap(s: string): string {
  return s.length > SUMMARY_STRING_CAP ? `${s.slice(0, SUMMARY_STRING_CAP - 1)}…` : s;
}

/** A finding with at most SUMMARY_LIST_CAP pages and sources (count and sourcesCount keep the full sizes). */
function trimIssue(s: SiteIssue): SiteIssue {
  const out: SiteIssue = { code: s.code, severity: s.severity, pages: s.pages.slice(0, SUMMARY_LIST_CAP).map(cap), count: s.count };
  if (s.detail !== undefined) out.detail = cap(s.detail);
  if (s.sources) {
    out.sources = s.sources.slice(0, SUMMARY_LIST_CAP).map((x) => ({ from: cap(x.from), to: cap(x.to), text: cap(x.text) }));
    const total = s.sourcesCount ?? s.sources.length;
    if (total > out.sources.length) out.sourcesCount = total;
  }
  return out;
}

/** The most important findings first: critical before warning before notice, then the most pages, then by code. */
export function topSiteIssues(issues: SiteIssue[]): SiteIssue[] {
  const ranked = issues
    .map((s, i) => ({ s, i }))
    .sort((a, b) =>
      (SEVERITY_RANK[a.s.severity] ?? 3) - (SEVERITY_RANK[b.s.severity] ?? 3) || b.s.count - a.s.count ||
      a.s.code.localeCompare(b.s.code) || (a.s.detail ?? '').localeCompare(b.s.detail ?? '') || a.i - b.i);
  const out: SiteIssue[] = [];
  let bytes = 0;
  for (const { s } of ranked.slice(0, SUMMARY_SITE_ISSUES)) {
    const t = trimIssue(s);
    bytes += JSON.stringify(t).length;
    if (bytes > SUMMARY_SITE_ISSUES_BYTES) break;
    out.push(t);
  }
  return out;
}

export function buildSummary(input: SummaryInput): RunSummary {
  const total = input.pagesAudited + input.pagesFailed;
  const issuesByCode: Record<string, number> = {};
  for (const { code, count } of [...input.issueCounts].sort((a, b) => a.code.localeCompare(b.code))) issuesByCode[code] = count;
  const siteIssuesByCode: Record<string, number> = {};
  for (const s of input.siteIssues) {
    issuesByCode[s.code] = (issuesByCode[s.code] ?? 0) + s.count;
    siteIssuesByCode[s.code] = (siteIssuesByCode[s.code] ?? 0) + 1;
  }
  const statusCodes: Record<string, number> = {};
  for (const { code, count } of input.statusCodes) statusCodes[code === null ? 'none' : String(code)] = count;
  const sorted = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
  return {
    pagesAudited: input.pagesAudited,
    pagesFailed: input.pagesFailed,
    successRate: total === 0 ? 0 : Math.round((input.pagesAudited / total) * 10_000) / 10_000,
    durationMs: Math.max(0, Math.round(input.durationMs)),
    topFailReasons: [...input.failReasons].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)).slice(0, 10),
    issuesByCode: sorted(issuesByCode),
    siteIssues: topSiteIssues(input.siteIssues),
    siteIssuesByCode: sorted(siteIssuesByCode),
    siteIssuesTotal: input.siteIssues.length,
    statusCodes,
  };
}
