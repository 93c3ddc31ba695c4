// Internal link findings, one per link target with its source pages and anchor texts: broken targets, targets that
// redirect, nofollow links to indexable pages.
import type { SiteIssue } from '../../workflows/contracts';
import type { SiteCheckCode } from '../../audit/catalogue';
import { DELIBERATE_FAILURES } from '../../audit/records';
import { issueFromRow, type IssueRow } from '../repositories/siteIssues';
import { MAX_SOURCES_PER_ISSUE, severity, type SiteCheck, type SiteQuery } from './types';

/** One kind of link finding: which targets (SQL over `t`), which of their incoming links (SQL over `l` and the source `s`), its detail. */
interface LinkTargetKind {
  code: SiteCheckCode;
  targetCondition: string;
  linkCondition: string;
  /** SQL over the target's status_code, failure_reason, final_url. */
  detailSql: string;
}

/**
 * One finding per link target of each kind (kinds in the order given, each in target order), as site_issues-shaped
 * rows: the targets first (few: broken or redirecting ones), then their incoming links, then the source pages by the
 * (run_id, url_hash) key; sources numbered per target so only the first MAX_SOURCES_PER_ISSUE ($2) are listed, the full
 * count kept when more. Kinds sharing one query share its one pass over page_links (the run's largest table: at 100k
 * pages a pass is ~1.5 s of the ~4 s each link check took). Summarize inserts these rows inside PostgreSQL (the sources
 * of a 100k-page site's broken links, ~230,000 of them, used to travel to the worker as JSON and back).
 */
function linkTargetSql(kinds: readonly LinkTargetKind[]): string {
  const each = (f: (k: LinkTargetKind, i: number) => string) => kinds.map((k, i) => `WHEN ${i} THEN ${f(k, i)}`).join(' ');
  return `
  WITH t AS MATERIALIZED (
    ${kinds.map((k, i) => `SELECT ${i} AS kind, t.url_hash, t.url, t.status_code, t.failure_reason, t.final_url
      FROM page_audits t WHERE t.run_id = $1 AND (${k.targetCondition})`).join('\n    UNION ALL ')}
  ), l AS (
    SELECT t.kind, t.url AS target, t.status_code, t.failure_reason, t.final_url, s.url AS from_url, l.anchor_text,
           row_number() OVER (PARTITION BY t.kind, t.url ORDER BY s.url) AS k
      FROM t
      JOIN page_links l ON l.run_id = $1 AND l.to_hash = t.url_hash
      JOIN page_audits s ON s.run_id = $1 AND s.url_hash = l.from_hash
     WHERE l.from_hash <> l.to_hash AND (CASE t.kind ${each((k) => `(${k.linkCondition})`)} END)
  )
  SELECT (row_number() OVER (ORDER BY kind, target) - 1)::int AS n,
         CASE kind ${each((k) => `'${k.code}'`)} END AS code, CASE kind ${each((k) => `'${severity(k.code)}'`)} END AS severity,
         1 AS count, CASE kind ${each((k) => `(${k.detailSql})`)} END AS detail, jsonb_build_array(target) AS pages,
         jsonb_agg(jsonb_build_object('from', from_url, 'to', target, 'text', anchor_text) ORDER BY from_url) FILTER (WHERE k <= $2) AS sources,
         CASE WHEN count(*) > $2 THEN count(*)::int END AS sources_count
    FROM l
   GROUP BY kind, target, status_code, failure_reason, final_url
   ORDER BY kind, target`;
}

function linkTargetCheck(name: string, kinds: readonly LinkTargetKind[]): SiteCheck & { issueRows: SiteQuery & { params: unknown[] } } {
  const issueRows = { name, sql: linkTargetSql(kinds), params: [MAX_SOURCES_PER_ISSUE] };
  return {
    name,
    codes: kinds.map((k) => k.code),
    issueRows,
    async run(db, runId): Promise<SiteIssue[]> {
      const rows: IssueRow[] = await db.query(issueRows.sql, [runId, ...issueRows.params]);
      return rows.map(issueFromRow);
    },
  };
}

/** Broken internal links: link targets that answered 4xx/5xx or could not be fetched, with their source pages. */
const BROKEN: LinkTargetKind = {
  code: 'broken_internal_link',
  targetCondition: `t.status_code >= 400 OR (t.status = 'failed' AND t.failure_reason NOT IN (${DELIBERATE_FAILURES.map((r) => `'${r}'`).join(', ')}))`,
  linkCondition: 'true',
  detailSql: `CASE WHEN coalesce(status_code, 0) <> 0 THEN 'HTTP ' || status_code ELSE coalesce(failure_reason, 'failed') END`,
};

/** Internal links to a URL that redirects. The crawler's own redirect → target edges (from a 3xx page) are not links anyone wrote. */
const TO_REDIRECT: LinkTargetKind = {
  code: 'internal_link_to_redirect',
  targetCondition: `t.status_code BETWEEN 300 AND 399`,
  linkCondition: `coalesce(s.status_code, 0) NOT BETWEEN 300 AND 399`,
  detailSql: `'HTTP ' || status_code || CASE WHEN coalesce(final_url, '') <> '' THEN ' → ' || final_url ELSE '' END`,
};

/** Links to broken targets and links to redirecting targets: one pass over the links for both (see linkTargetSql). */
export const brokenOrRedirectingTargets = linkTargetCheck('broken_or_redirecting_link_targets', [BROKEN, TO_REDIRECT]);

/** rel=nofollow links to indexable pages of the site (every indexable page is a target: a query of its own). */
export const nofollowToIndexable = linkTargetCheck('nofollow_to_indexable', [
  { code: 'nofollow_to_indexable', targetCondition: `t.status = 'ok' AND t.status_code = 200 AND t.indexable`, linkCondition: `l.nofollow`, detailSql: 'NULL::text' },
]);

export const LINK_QUERIES: SiteQuery[] = [brokenOrRedirectingTargets, nofollowToIndexable].map((c) => c.issueRows);
