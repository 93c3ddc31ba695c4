// The source links of link-target findings (broken internal links, links to redirects, nofollow links to indexable
// pages) are not stored with the finding: the finding names its target (site_issues.link_target_hash) and readers take
// the sources from page_links when they read it, by the (run_id, to_hash) index, in source URL order and capped to
// what they show. Summarize only counts them: at 100k pages a site's broken targets have ~211,000 inlinks, and
// building, sorting and storing them all as JSON, for lists nobody reads in full (a report shows 100 per finding),
// cost the site checks on the bench's 100k-page run a median 5.8 against 5.2 s now (three at a time). While a rerun
// of the run crawls, its links are being rewritten: the previous findings then list the sources found so far.
import type { SiteCheckCode } from '../../audit/catalogue';

export type LinkTargetCode = Extract<SiteCheckCode, 'broken_internal_link' | 'internal_link_to_redirect' | 'nofollow_to_indexable'>;

/**
 * Which inlinks of a finding's target are its sources, as SQL over `l` (page_links) and, when `readsSourcePage`, `s`
 * (the source page's page_audits row). The check counts by the same condition.
 */
export const LINK_SOURCE_CONDITIONS: Record<LinkTargetCode, { sql: string; readsSourcePage: boolean }> = {
  broken_internal_link: { sql: 'true', readsSourcePage: false },
  // The crawler's own redirect → target edges (from a 3xx page) are not links anyone wrote.
  internal_link_to_redirect: { sql: 'coalesce(s.status_code, 0) NOT BETWEEN 300 AND 399', readsSourcePage: true },
  nofollow_to_indexable: { sql: 'l.nofollow', readsSourcePage: false },
};

/**
 * SQL: a jsonb array of the first `cap` sources ({from, to, text}, in source URL order) of the finding in `row`, an
 * alias with the columns run_id, code, pages (the target first) and link_target_hash; NULL when the row is no
 * link-target finding.
 */
export function linkSourcesSql(row: string, cap: string): string {
  if (['l', 's', 'x'].includes(row)) throw new Error(`linkSourcesSql: alias ${row} is taken inside`);
  const cases = Object.entries(LINK_SOURCE_CONDITIONS).map(([code, cond]) => `WHEN '${code}' THEN ${cond.sql}`).join(' ');
  return `CASE WHEN ${row}.link_target_hash IS NOT NULL THEN (
    SELECT coalesce(jsonb_agg(jsonb_build_object('from', x.url, 'to', ${row}.pages->>0, 'text', x.anchor_text) ORDER BY x.url), '[]'::jsonb)
      FROM (SELECT s.url, l.anchor_text
              FROM page_links l JOIN page_audits s ON s.run_id = l.run_id AND s.url_hash = l.from_hash
             WHERE l.run_id = ${row}.run_id AND l.to_hash = ${row}.link_target_hash AND l.from_hash <> l.to_hash
               AND CASE ${row}.code ${cases} ELSE false END
             ORDER BY s.url LIMIT ${cap}) x) END`;
}

/** SQL: the finding's sources in `row` whichever way they are kept: stored in `sources`, or read as above. */
export function findingSourcesSql(row: string, cap: string): string {
  return `coalesce(${row}.sources, ${linkSourcesSql(row, cap)})`;
}
