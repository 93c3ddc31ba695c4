// Images over the size limit, from the per-run image_sizes table filled by the checkImageSizes activity (empty unless
// the option is on): one finding per oversized image, listing the pages that show it. The limit is the run's
// thresholds.imageMaxBytes (audit_runs.options), else the catalogue default.
import { DEFAULT_THRESHOLDS } from '../../audit/thresholds';
import type { SiteIssue } from '../../audit/records';
import { MAX_SOURCES_PER_ISSUE, severity, type SiteCheck, type SiteQuery } from './types';

// The oversized images first (few, this execution's sizes only), then the pages' image lists expanded once and matched.
const IMAGES_SQL = `
  WITH r AS MATERIALIZED (
    SELECT execution_id,
           coalesce(CASE WHEN jsonb_typeof(options->'thresholds'->'imageMaxBytes') = 'number'
                         THEN (options->'thresholds'->>'imageMaxBytes')::float8 END, $2::float8) AS max_bytes
      FROM audit_runs WHERE id = $1
  ), big AS MATERIALIZED (
    SELECT s.url, s.bytes::float8 AS bytes, r.max_bytes FROM image_sizes s, r
     WHERE s.run_id = $1 AND s.execution_id IS NOT DISTINCT FROM r.execution_id AND s.bytes > r.max_bytes
  ), u AS MATERIALIZED (
    SELECT p.url AS page_url, i.img
      FROM page_audits p
     CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(p.data->'images') = 'array' THEN p.data->'images' ELSE '[]'::jsonb END) i(img)
     WHERE p.run_id = $1 AND EXISTS (SELECT 1 FROM big)
  )
  SELECT big.url, big.bytes, big.max_bytes, json_agg(DISTINCT u.page_url) AS pages
    FROM big JOIN u ON u.img = big.url
   GROUP BY big.url, big.bytes, big.max_bytes
   ORDER BY big.url`;

export const imageTooLarge: SiteCheck = {
  name: 'image_too_large',
  codes: ['image_too_large'],
  async run(db, runId): Promise<SiteIssue[]> {
    const rows: Array<{ url: string; bytes: number; max_bytes: number; pages: string[] }> = await db.query(IMAGES_SQL, [runId, DEFAULT_THRESHOLDS.imageMaxBytes]);
    return rows.map((r) => {
      const pages = [...r.pages].sort();
      const listed = pages.slice(0, MAX_SOURCES_PER_ISSUE);
      return {
        code: 'image_too_large',
        severity: severity('image_too_large'),
        pages,
        count: pages.length,
        detail: `${r.url}: ${r.bytes} bytes (limit ${r.max_bytes})`,
        // The image itself as each page's link target, so the report can name it per page.
        sources: listed.map((from) => ({ from, to: r.url, text: '' })),
        ...(pages.length > listed.length ? { sourcesCount: pages.length } : {}),
      };
    });
  },
};

export const IMAGE_QUERIES: SiteQuery[] = [{ name: 'image_too_large', sql: IMAGES_SQL, params: [DEFAULT_THRESHOLDS.imageMaxBytes] }];
