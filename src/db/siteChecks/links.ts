// Internal link findings, one per link target with its source pages and anchor texts: broken targets, targets that
// redirect, nofollow links to indexable pages.
import type { SiteIssue } from '../../audit/records';
import { DELIBERATE_FAILURES } from '../../audit/records';
import { issueFromRow, type IssueRow } from '../repositories/siteIssues';
import { LINK_SOURCE_CONDITIONS, linkSourcesSql, type LinkTargetCode } from './linkSources';
import { MAX_SOURCES_PER_ISSUE, severity, type SiteCheck, type SiteQuery } from './types';

/**
 * One finding per link target matching `targetCondition` (SQL over `t`; few: broken or redirecting targets), as
 * site_issues-shaped rows in target order, each naming its target (link_target_hash) and counting its sources (the
 * target's inlinks matching the code's LINK_SOURCE_CONDITIONS) in sources_count; readers take the sources themselves
 * from page_links (linkSources.ts). The targets first, then their incoming links by the (run_id, to_hash) index, then
 * (when the condition reads them) the source pages by the (run_id, url_hash) key.
 */
function linkTargetSql(code: LinkTargetCode, targetCondition: string, detailSql: string): string {
  const sources = LINK_SOURCE_CONDITIONS[code];
  // Every link's source page has its row (persist writes both in one transaction, and a rerun starts without the
  // previous execution's links), so the count reads source rows only when the condition does: the broken-link check
  // of a 100k-page run otherwise looked up the source page of each of its ~211,000 inlinks.
  const sourcePage = sources.readsSourcePage ? 'JOIN page_audits s ON s.run_id = $1 AND s.url_hash = l.from_hash' : '';
  return `
  WITH t AS MATERIALIZED (
    SELECT t.url_hash, t.url, t.status_code, t.failure_reason, t.final_url
      FROM page_audits t WHERE t.run_id = $1 AND (${targetCondition})
  ), g AS (
    SELECT t.url_hash, t.url AS target, t.status_code, t.failure_reason, t.final_url, count(*)::int AS n_sources
      FROM t
      JOIN page_links l ON l.run_id = $1 AND l.to_hash = t.url_hash
      ${sourcePage}
     WHERE l.from_hash <> l.to_hash AND (${sources.sql})
     GROUP BY t.url_hash, t.url, t.status_code, t.failure_reason, t.final_url
  )
  SELECT (row_number() OVER (ORDER BY target) - 1)::int AS n, '${code}' AS code, '${severity(code)}' AS severity, 1 AS count,
         ${detailSql} AS detail, jsonb_build_array(target) AS pages, NULL::jsonb AS sources, n_sources AS sources_count,
         url_hash AS link_target_hash, $1::uuid AS run_id
    FROM g
   ORDER BY target`;
}

function linkTargetCheck(code: LinkTargetCode, targetCondition: string, detailSql: string): SiteCheck & { issueRows: SiteQuery & { params: unknown[] } } {
  const issueRows = { name: code, sql: linkTargetSql(code, targetCondition, detailSql), params: [] };
  // Tests and tools on small runs get the findings with their sources, as the readers of site_issues do.
  const withSources = `SELECT q.n, q.code, q.severity, q.count, q.detail, q.pages, ${linkSourcesSql('q', String(MAX_SOURCES_PER_ISSUE))} AS sources,
    q.sources_count FROM (${issueRows.sql}) q ORDER BY q.n`;
  return {
    name: code,
    codes: [code],
    issueRows,
    async run(db, runId): Promise<SiteIssue[]> {
      const rows: IssueRow[] = await db.query(withSources, [runId]);
      return rows.map(issueFromRow);
    },
  };
}

/** Broken internal links: link targets that answered 4xx/5xx or could not be fetched, with their source pages. */
export const brokenInternalLink = linkTargetCheck(
  'broken_internal_link',
  `t.status_code >= 400 OR (t.status = 'failed' AND t.failure_reason NOT IN (${DELIBERATE_FAILURES.map((r) => `'${r}'`).join(', ')}))`,
  `CASE WHEN coalesce(status_code, 0) <> 0 THEN 'HTTP ' || status_code ELSE coalesce(failure_reason, 'failed') END`,
);

/** Internal links to a URL that redirects. */
export const internalLinkToRedirect = linkTargetCheck(
  'internal_link_to_redirect',
  `t.status_code BETWEEN 300 AND 399`,
  `'HTTP ' || status_code || CASE WHEN coalesce(final_url, '') <> '' THEN ' → ' || final_url ELSE '' END`,
);

/**
 * rel=nofollow links to indexable pages of the site. The targets are those of the run's nofollow links (by their partial
 * index; few on most sites), not every indexable page with all its inlinks read to find the nofollow ones.
 */
export const nofollowToIndexable = linkTargetCheck(
  'nofollow_to_indexable',
  `t.status = 'ok' AND t.status_code = 200 AND t.indexable AND t.url_hash IN (SELECT n.to_hash FROM page_links n WHERE n.run_id = $1 AND n.nofollow)`,
  'NULL::text',
);

export const LINK_QUERIES: SiteQuery[] = [brokenInternalLink, internalLinkToRedirect, nofollowToIndexable].map((c) => c.issueRows);
