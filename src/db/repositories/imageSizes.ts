// The image_sizes aggregate: one row per distinct image URL a run's pages use, sized once per run (HEAD, then a ranged
// GET when needed) by src/activities/images.ts; the image_too_large site check reads it (src/db/siteChecks/images.ts).
import type { Queryable } from './queryable';

/** Image URLs the execution's pages use (http/https only, from page_audits.data.images), at most `limit`. */
export async function imageUrlsOfExecution(db: Queryable, runId: string, executionId: string, limit: number): Promise<string[]> {
  const rows = (await db.query(
    `SELECT DISTINCT i.url
       FROM page_audits p
      CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(p.data->'images') = 'array' THEN p.data->'images' ELSE '[]'::jsonb END) i(url)
      WHERE p.run_id = $1 AND p.execution_id = $2 AND i.url ~ '^https?://'
      ORDER BY 1 LIMIT $3`,
    [runId, executionId, limit],
  )) as Array<{ url: string }>;
  return rows.map((r) => r.url);
}

/** URL hashes this execution has already sized (a retried activity skips them). */
export async function sizedHashes(db: Queryable, runId: string, executionId: string): Promise<Set<string>> {
  const rows = (await db.query(`SELECT url_hash FROM image_sizes WHERE run_id = $1 AND execution_id = $2`, [runId, executionId])) as Array<{ url_hash: string }>;
  return new Set(rows.map((r) => r.url_hash));
}

export interface ImageSize {
  statusCode: number | null;
  bytes: number | null;
  method: string | null;
  failureReason: string | null;
}

/** Records one image's size for the execution (a re-run of the run key overwrites the earlier execution's row). */
export async function saveImageSize(db: Queryable, runId: string, executionId: string, url: string, urlHash: string, size: ImageSize): Promise<void> {
  await db.query(
    `INSERT INTO image_sizes (run_id, url_hash, url, execution_id, status_code, bytes, method, failure_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (run_id, url_hash) DO UPDATE SET execution_id = EXCLUDED.execution_id, status_code = EXCLUDED.status_code,
       bytes = EXCLUDED.bytes, method = EXCLUDED.method, failure_reason = EXCLUDED.failure_reason, checked_at = now()`,
    [runId, urlHash, url, executionId, size.statusCode, size.bytes, size.method, size.failureReason],
  );
}

/** Images of the execution larger than `maxBytes`. */
export async function countOversized(db: Queryable, runId: string, executionId: string, maxBytes: number): Promise<number> {
  const [c] = (await db.query(
    `SELECT count(*) FILTER (WHERE bytes > $3)::int AS oversized FROM image_sizes WHERE run_id = $1 AND execution_id = $2`,
    [runId, executionId, maxBytes],
  )) as Array<{ oversized: number }>;
  return c.oversized;
}
