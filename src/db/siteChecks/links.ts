// Internal link findings, one per link target with its source pages and anchor texts: broken targets, targets that
// redirect, nofollow links to indexable pages.
import type { SiteIssue } from '../../workflows/contracts';
import type { SiteCheckCode } from '../../audit/catalogue';
import { DELIBERATE_FAILURES } from '../../audit/records';
import { issueFromRow, type IssueRow } from '../repositories/siteIssues';
import { MAX_SOURCES_PER_ISSUE, severity, type SiteCheck, type SiteQuery } from './types';

/**
 * One finding per link target matching `targetCondition` (SQL over `t`; few: broken or redirecting targets), as
 * site_issues-shaped rows in target order: the targets first, then their incoming links by the (run_id, to_hash) index,
 * then the source pages by the (run_id, url_hash) key; each target's sources aggregated in source URL order and cut to
 * the first MAX_SOURCES_PER_ISSUE ($2), the full count kept when more. Aggregating per target in order sorts each
 * target's few dozen links in memory, where numbering all of them first (a window over every in-link of every target)
 * sorted ~211,000 rows at once, on disk, at 100k pages. Summarize inserts these rows inside PostgreSQL (the sources of a
 * 100k-page site's broken links, ~230,000 of them, used to travel to the worker as JSON and back).
 */
function linkTargetSql(code: SiteCheckCode, targetCondition: string, linkCondition: string, detailSql: string): string {
  return `
  WITH t AS MATERIALIZED (
    SELECT t.url_hash, t.url, t.status_code, t.failure_reason, t.final_url
      FROM page_audits t WHERE t.run_id = $1 AND (${targetCondition})
  ), g AS (
    SELECT t.url AS target, t.status_code, t.failure_reason, t.final_url, count(*)::int AS n_sources,
           jsonb_agg(jsonb_build_object('from', s.url, 'to', t.url, 'text', l.anchor_text) ORDER BY s.url) AS sources
      FROM t
      JOIN page_links l ON l.run_id = $1 AND l.to_hash = t.url_hash
      JOIN page_audits s ON s.run_id = $1 AND s.url_hash = l.from_hash
     WHERE l.from_hash <> l.to_hash AND (${linkCondition})
     GROUP BY t.url, t.status_code, t.failure_reason, t.final_url
  )
  SELECT (row_number() OVER (ORDER BY target) - 1)::int AS n, '${code}' AS code, '${severity(code)}' AS severity, 1 AS count,
         ${detailSql} AS detail, jsonb_build_array(target) AS pages,
         CASE WHEN n_sources > $2 THEN jsonb_path_query_array(sources, ('$[0 to ' || ($2 - 1) || ']')::jsonpath) ELSE sources END AS sources,
         CASE WHEN n_sources > $2 THEN n_sources END AS sources_count
    FROM g
   ORDER BY target`;
}

function linkTargetCheck(code: SiteCheckCode, targetCondition: string, linkCondition: string, detailSql: string): SiteCheck & { issueRows: SiteQuery & { params: unknown[] } } {
  const issueRows = { name: code, sql: linkTargetSql(code, targetCondition, linkCondition, detailSql), params: [MAX_SOURCES_PER_ISSUE] };
  return {
    name: code,
    codes: [code],
    issueRows,
    async run(db, runId): Promise<SiteIssue[]> {
      const rows: IssueRow[] = await db.query(issueRows.sql, [runId, ...issueRows.params]);
      return rows.map(issueFromRow);
    },
  };
}

/** Broken internal links: link targets that answered 4xx/5xx or could not be fetched, with their source pages. */
export const brokenInternalLink = linkTargetCheck(
  'broken_internal_link',
  `t.status_code >= 400 OR (t.status = 'failed' AND t.failure_reason NOT IN (${DELIBERATE_FAILURES.map((r) => `'${r}'`).join(', ')}))`,
  'true',
  `CASE WHEN coalesce(status_code, 0) <> 0 THEN 'HTTP ' || status_code ELSE coalesce(failure_reason, 'failed') END`,
);

/** Internal links to a URL that redirects. The crawler's own redirect → target edges (from a 3xx page) are not links anyone wrote. */
export const internalLinkToRedirect = linkTargetCheck(
  'internal_link_to_redirect',
  `t.status_code BETWEEN 300 AND 399`,
  `coalesce(s.status_code, 0) NOT BETWEEN 300 AND 399`,
  `'HTTP ' || status_code || CASE WHEN coalesce(final_url, '') <> '' THEN ' → ' || final_url ELSE '' END`,
);

/**
 * rel=nofollow links to indexable pages of the site. The targets are those of the run's nofollow links (by their partial
 * index; few on most sites), not every indexable page with all its inlinks read to find the nofollow ones.
 */
export const nofollowToIndexable = linkTargetCheck(
  'nofollow_to_indexable',
  `t.status = 'ok' AND t.status_code = 200 AND t.indexable AND t.url_hash IN (SELECT n.to_hash FROM page_links n WHERE n.run_id = $1 AND n.nofollow)`,
  `l.nofollow`,
  'NULL::text',
);

export const LINK_QUERIES: SiteQuery[] = [brokenInternalLink, internalLinkToRedirect, nofollowToIndexable].map((c) => c.issueRows);
