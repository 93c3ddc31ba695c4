// Findings about a page's incoming internal links: a canonical target that no page links to, and pages linked both
// with and without rel=nofollow. Redirect edges (from a 3xx page to its target) are the crawler's, not links anyone wrote.
import type { SiteIssue } from '../../audit/records';
import { MAX_SOURCES_PER_ISSUE, pageList, severity, type Source, type SiteCheck, type SiteQuery } from './types';

const WRITTEN_LINK = `coalesce(s.status_code, 0) NOT BETWEEN 300 AND 399`;

const CANONICAL_UNLINKED_SQL = `
  SELECT p.canonical AS target, array_agg(p.url ORDER BY p.url) AS pages
    FROM page_audits p
   WHERE p.run_id = $1 AND p.status = 'ok' AND p.status_code = 200 AND p.canonical IS NOT NULL AND p.canonical <> p.url
     AND NOT EXISTS (
       SELECT 1 FROM page_links l JOIN page_audits s ON s.run_id = $1 AND s.url_hash = l.from_hash
        WHERE l.run_id = $1 AND l.to_url = p.canonical AND l.from_hash <> l.to_hash AND ${WRITTEN_LINK})
   GROUP BY p.canonical
   ORDER BY p.canonical`;

/** Canonical URLs named by pages but linked from nowhere in the crawl: one finding per target, its naming pages as sources. */
export const canonicalUnlinked: SiteCheck = {
  name: 'canonical_unlinked',
  codes: ['canonical_unlinked'],
  async run(db, runId) {
    const rows: Array<{ target: string; pages: string[] }> = await db.query(CANONICAL_UNLINKED_SQL, [runId]);
    return rows.flatMap((r) =>
      pageList('canonical_unlinked', [r.target], { sources: r.pages.slice(0, MAX_SOURCES_PER_ISSUE).map((from) => ({ from, to: r.target, text: '' })) }));
  },
};

// Targets of nofollow links first (few on most sites), then whether a followed link reaches them too.
const MIXED_INLINKS_SQL = `
  WITH nf AS MATERIALIZED (
    SELECT l.to_hash, s.url AS from_url, l.anchor_text,
           row_number() OVER (PARTITION BY l.to_hash ORDER BY s.url) AS n
      FROM page_links l JOIN page_audits s ON s.run_id = $1 AND s.url_hash = l.from_hash
     WHERE l.run_id = $1 AND l.nofollow AND l.from_hash <> l.to_hash AND ${WRITTEN_LINK}
  )
  SELECT t.url AS target, count(*)::int AS n_sources,
         json_agg(json_build_object('from', nf.from_url, 'text', nf.anchor_text) ORDER BY nf.from_url) FILTER (WHERE nf.n <= $2) AS sources
    FROM nf JOIN page_audits t ON t.run_id = $1 AND t.url_hash = nf.to_hash
   WHERE EXISTS (
     SELECT 1 FROM page_links f JOIN page_audits s ON s.run_id = $1 AND s.url_hash = f.from_hash
      WHERE f.run_id = $1 AND f.to_hash = nf.to_hash AND NOT f.nofollow AND f.from_hash <> f.to_hash AND ${WRITTEN_LINK})
   GROUP BY t.url
   ORDER BY t.url`;

/** Pages receiving both followed and nofollowed internal links; the nofollow links are the sources. */
export const followAndNofollowInlinks: SiteCheck = {
  name: 'follow_and_nofollow_inlinks',
  codes: ['follow_and_nofollow_inlinks'],
  async run(db, runId): Promise<SiteIssue[]> {
    const rows: Array<{ target: string; n_sources: number; sources: Source[] }> = await db.query(MIXED_INLINKS_SQL, [runId, MAX_SOURCES_PER_ISSUE]);
    return rows.map((r) => ({
      code: 'follow_and_nofollow_inlinks',
      severity: severity('follow_and_nofollow_inlinks'),
      pages: [r.target],
      count: 1,
      detail: `${r.n_sources} nofollow ${r.n_sources === 1 ? 'link' : 'links'}`,
      sources: r.sources.map((s) => ({ from: s.from, to: r.target, text: s.text })),
      ...(r.n_sources > r.sources.length ? { sourcesCount: r.n_sources } : {}),
    }));
  },
};

export const INLINK_QUERIES: SiteQuery[] = [
  { name: 'canonical_unlinked', sql: CANONICAL_UNLINKED_SQL },
  { name: 'follow_and_nofollow_inlinks', sql: MIXED_INLINKS_SQL, params: [MAX_SOURCES_PER_ISSUE] },
];
