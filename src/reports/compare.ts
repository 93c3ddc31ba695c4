// Comparing two runs of a site by (code, page), for GET /api/runs/:id/compare and `sitesweep compare` (the summary's
// delta is the same comparison counted in the database: pages.comparisonCounts). Page findings come from page_audits,
// site findings from site_issues.
import { pageFindingPairs, pageUrls } from '../db/repositories/pages';
import { previousCompletedRunId } from '../db/repositories/runs';
import { siteFindingPairs, type Db } from '../db/repositories/siteIssues';

export interface FindingRef {
  code: string;
  url: string;
  severity: string;
}

export interface RunComparison {
  baseRunId: string;
  newFindings: FindingRef[];
  fixedFindings: FindingRef[];
  persistingFindings: FindingRef[];
  pagesAdded: string[];
  pagesRemoved: string[];
}

/** The last completed run of the same site host that finished before `runId` started. */
export async function previousRunId(db: Db, runId: string): Promise<string | null> {
  return previousCompletedRunId(db, runId);
}

/** Every (code, page) finding of a run: per-page findings from the rows, site findings from site_issues. */
export async function runFindings(db: Db, runId: string): Promise<Map<string, FindingRef>> {
  const out = new Map<string, FindingRef>();
  const rows = await pageFindingPairs(db, runId);
  for (const r of rows) out.set(`${r.code}\t${r.url}`, r);
  for (const s of await siteFindingPairs(db, runId)) out.set(`${s.code}\t${s.url}`, { code: s.code, url: s.url, severity: s.severity });
  return out;
}

/** New, fixed and persisting findings of `runId` against `baseRunId`, and pages added or removed. */
export async function compareRuns(db: Db, runId: string, baseRunId: string): Promise<RunComparison> {
  const [cur, base] = await Promise.all([runFindings(db, runId), runFindings(db, baseRunId)]);
  const pages = async (id: string) => new Set<string>(await pageUrls(db, id));
  const [curPages, basePages] = await Promise.all([pages(runId), pages(baseRunId)]);
  const order = (a: FindingRef, b: FindingRef) => a.code.localeCompare(b.code) || a.url.localeCompare(b.url);
  return {
    baseRunId,
    newFindings: [...cur].filter(([k]) => !base.has(k)).map(([, v]) => v).sort(order),
    fixedFindings: [...base].filter(([k]) => !cur.has(k)).map(([, v]) => v).sort(order),
    persistingFindings: [...cur].filter(([k]) => base.has(k)).map(([, v]) => v).sort(order),
    pagesAdded: [...curPages].filter((u) => !basePages.has(u)).sort(),
    pagesRemoved: [...basePages].filter((u) => !curPages.has(u)).sort(),
  };
}
