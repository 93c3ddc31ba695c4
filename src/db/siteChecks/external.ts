// External links that are broken or redirect, from the per-run external_links cache filled by the checkExternalLinks
// activity (empty unless the option is on), each with the pages linking it.
import type { SiteIssue } from '../../audit/records';
import { MAX_SOURCES_PER_ISSUE, severity, type Source, type SiteCheck, type SiteQuery } from './types';

// The failing external URLs first (few), then the pages' external links expanded once and matched by URL.
const EXTERNAL_SQL = `
  WITH x AS MATERIALIZED (
    SELECT url, status_code, failure_reason, final_url, redirect_chain FROM external_links
     WHERE run_id = $1 AND (status_code IS NULL OR status_code >= 400 OR jsonb_array_length(redirect_chain) > 0)
  ), e AS MATERIALIZED (
    SELECT p.url AS from_url, e->>'url' AS to_url, coalesce(e->>'text', '') AS text
      FROM page_audits p
     CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.data->'external') = 'array' THEN p.data->'external' ELSE '[]'::jsonb END) e
     WHERE p.run_id = $1 AND EXISTS (SELECT 1 FROM x)
  ), j AS (
    SELECT x.url, x.status_code, x.failure_reason, x.final_url, x.redirect_chain, e.from_url, e.text,
           row_number() OVER (PARTITION BY x.url ORDER BY e.from_url) AS n
      FROM x JOIN e ON e.to_url = x.url
  )
  SELECT url, status_code, failure_reason, final_url, jsonb_array_length(redirect_chain) AS hops, count(*)::int AS n_sources,
         json_agg(json_build_object('from', from_url, 'text', text) ORDER BY from_url) FILTER (WHERE n <= $2) AS sources
    FROM j
   GROUP BY url, status_code, failure_reason, final_url, redirect_chain
   ORDER BY url`;

export const externalLinks: SiteCheck = {
  name: 'external_links',
  codes: ['external_link_broken', 'external_link_redirect'],
  async run(db, runId): Promise<SiteIssue[]> {
    const rows: Array<{ url: string; status_code: number | null; failure_reason: string | null; final_url: string | null; hops: number; n_sources: number; sources: Source[] }> =
      await db.query(EXTERNAL_SQL, [runId, MAX_SOURCES_PER_ISSUE]);
    return rows.map((r) => {
      const broken = r.status_code === null || r.status_code >= 400;
      const code = broken ? 'external_link_broken' : 'external_link_redirect';
      return {
        code,
        severity: severity(code),
        pages: [r.url],
        count: 1,
        detail: broken ? (r.status_code ? `HTTP ${r.status_code}` : (r.failure_reason ?? 'failed')) : `redirects to ${r.final_url}`,
        sources: r.sources.map((s) => ({ from: s.from, to: r.url, text: s.text })),
        ...(r.n_sources > r.sources.length ? { sourcesCount: r.n_sources } : {}),
      };
    });
  },
};

export const EXTERNAL_QUERIES: SiteQuery[] = [{ name: 'external_links', sql: EXTERNAL_SQL, params: [MAX_SOURCES_PER_ISSUE] }];
