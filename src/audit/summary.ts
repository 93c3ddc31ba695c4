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
  /** The site-level findings: the full list, or its tally when they were counted chunk by chunk. */
  siteIssues: SiteIssue[] | SiteIssueTally;
}

/** Site findings kept in the summary, pages and sources kept per finding, longest string kept, byte budget. */
export const SUMMARY_SITE_ISSUES = 50;
export const SUMMARY_LIST_CAP = 10;
export const SUMMARY_STRING_CAP = 1_000;
export const SUMMARY_SITE_ISSUES_BYTES = 64 * 1024;

/** Severities most important first (unknown ones after them). */
export const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, notice: 2 };

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

type Ranked = { s: SiteIssue; i: number };

/** The most important findings first: critical before warning before notice, then the most pages, then by code. */
function rank(a: Ranked, b: Ranked): number {
  return (SEVERITY_RANK[a.s.severity] ?? 3) - (SEVERITY_RANK[b.s.severity] ?? 3) || b.s.count - a.s.count ||
    a.s.code.localeCompare(b.s.code) || (a.s.detail ?? '').localeCompare(b.s.detail ?? '') || a.i - b.i;
}

/**
 * Which of one chunk of findings (`firstOrdinal` the ordinal of the first) can be among the summary's top entries: its
 * best SUMMARY_SITE_ISSUES by the summary's rank, which is a total order, so no other finding of the chunk can make the
 * top list. Their indices; summarize reads page and source lists for these only.
 */
export function topCandidates(issues: readonly SiteIssue[], firstOrdinal: number): number[] {
  return issues.map((s, k) => ({ s, i: firstOrdinal + k })).sort(rank).slice(0, SUMMARY_SITE_ISSUES).map((r) => r.i - firstOrdinal);
}

/**
 * Counts and top entries of a run's site findings, fed one chunk at a time: summarize writes each check's findings to
 * the database as they come and keeps only this (a 100k-page site has thousands of findings with up to a thousand
 * sources each). `add` takes each finding's position in the run's order (its ordinal), which breaks ties in the top list.
 */
export class SiteIssueTally {
  /** Findings per code (site findings are one per target or group) and affected pages per code. */
  readonly findingsByCode: Record<string, number> = {};
  readonly pagesByCode: Record<string, number> = {};
  total = 0;
  // Candidates for the top list, trimmed (lists capped) but ranked on their full counts; pruned to the top when it grows.
  private candidates: Ranked[] = [];

  add(issues: readonly SiteIssue[], firstOrdinal: number): void {
    for (let k = 0; k < issues.length; k++) {
      const s = issues[k];
      this.pagesByCode[s.code] = (this.pagesByCode[s.code] ?? 0) + s.count;
      this.findingsByCode[s.code] = (this.findingsByCode[s.code] ?? 0) + 1;
      this.total++;
      // The rank reads severity, count, code and the full detail: keep the full detail next to the trimmed copy.
      const t = trimIssue(s);
      this.candidates.push({ s: s.detail !== undefined ? { ...t, detail: s.detail } : t, i: firstOrdinal + k });
    }
    if (this.candidates.length > 4 * SUMMARY_SITE_ISSUES) this.candidates = this.candidates.sort(rank).slice(0, SUMMARY_SITE_ISSUES);
  }

  /** The top findings, with capped lists, within the summary's byte budget. */
  top(): SiteIssue[] {
    const out: SiteIssue[] = [];
    let bytes = 0;
    for (const { s } of [...this.candidates].sort(rank).slice(0, SUMMARY_SITE_ISSUES)) {
      const t = s.detail !== undefined ? { ...s, detail: cap(s.detail) } : s;
      bytes += JSON.stringify(t).length;
      if (bytes > SUMMARY_SITE_ISSUES_BYTES) break;
      out.push(t);
    }
    return out;
  }
}

export function buildSummary(input: SummaryInput): RunSummary {
  const total = input.pagesAudited + input.pagesFailed;
  let tally: SiteIssueTally;
  if (input.siteIssues instanceof SiteIssueTally) tally = input.siteIssues;
  else {
    tally = new SiteIssueTally();
    tally.add(input.siteIssues, 0);
  }
  const issuesByCode: Record<string, number> = {};
  for (const { code, count } of [...input.issueCounts].sort((a, b) => a.code.localeCompare(b.code))) issuesByCode[code] = count;
  for (const [code, pages] of Object.entries(tally.pagesByCode)) issuesByCode[code] = (issuesByCode[code] ?? 0) + pages;
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
    siteIssues: tally.top(),
    siteIssuesByCode: sorted(tally.findingsByCode),
    siteIssuesTotal: tally.total,
    statusCodes,
  };
}
