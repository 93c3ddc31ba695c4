// The execution summary, as a function of counts read from the run's rows (pure, unit-tested).
import type { RunSummary, SiteIssue } from '../workflows/contracts';

export interface SummaryInput {
  pagesAudited: number;
  pagesFailed: number;
  durationMs: number;
  failReasons: Array<{ reason: string; count: number }>;
  issueCounts: Array<{ code: string; count: number }>;
  statusCodes: Array<{ code: number | null; count: number }>;
  siteIssues: SiteIssue[];
}

export function buildSummary(input: SummaryInput): RunSummary {
  const total = input.pagesAudited + input.pagesFailed;
  const issuesByCode: Record<string, number> = {};
  for (const { code, count } of [...input.issueCounts].sort((a, b) => a.code.localeCompare(b.code))) issuesByCode[code] = count;
  for (const s of input.siteIssues) issuesByCode[s.code] = (issuesByCode[s.code] ?? 0) + s.count;
  const statusCodes: Record<string, number> = {};
  for (const { code, count } of input.statusCodes) statusCodes[code === null ? 'none' : String(code)] = count;
  return {
    pagesAudited: input.pagesAudited,
    pagesFailed: input.pagesFailed,
    successRate: total === 0 ? 0 : Math.round((input.pagesAudited / total) * 10_000) / 10_000,
    durationMs: Math.max(0, Math.round(input.durationMs)),
    topFailReasons: [...input.failReasons].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)).slice(0, 10),
    issuesByCode: Object.fromEntries(Object.entries(issuesByCode).sort(([a], [b]) => a.localeCompare(b))),
    siteIssues: [...input.siteIssues].sort((a, b) => a.code.localeCompare(b.code) || (a.detail ?? '').localeCompare(b.detail ?? '')),
    statusCodes,
  };
}
