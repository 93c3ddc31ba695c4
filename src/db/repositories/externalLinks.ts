// The external_links aggregate: each distinct external URL a run's pages link to, checked once (status, redirects,
// failure). Written and summed by the external-links activity; read by the external_* site checks.
import type { Queryable } from './queryable';

/** Distinct http(s) URLs the run's pages link to outside the site (from page_audits.data.external), at most `cap`. */
export async function externalTargets(db: Queryable, runId: string, cap: number): Promise<Array<{ url: string }>> {
  return db.query(
    `SELECT DISTINCT e->>'url' AS url
       FROM page_audits p
      CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.data->'external') = 'array' THEN p.data->'external' ELSE '[]'::jsonb END) e
      WHERE p.run_id = $1 AND e->>'url' ~ '^https?://'
      ORDER BY 1 LIMIT $2`,
    [runId, cap],
  );
}

/** Hashes of the URLs already checked for the run (a retried activity skips them). */
export async function checkedExternalHashes(db: Queryable, runId: string): Promise<Set<string>> {
  const rows: Array<{ url_hash: string }> = await db.query(`SELECT url_hash FROM external_links WHERE run_id = $1`, [runId]);
  return new Set(rows.map((r) => r.url_hash));
}

export interface ExternalCheck {
  urlHash: string;
  url: string;
  statusCode: number | null;
  finalUrl: string | null;
  redirectChain: unknown[];
  failureReason: string | null;
}

/** One URL's outcome; the first write wins (idempotent). */
export async function insertExternalCheck(db: Queryable, runId: string, c: ExternalCheck): Promise<void> {
  await db.query(
    `INSERT INTO external_links (run_id, url_hash, url, status_code, final_url, redirect_chain, failure_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id, url_hash) DO NOTHING`,
    [runId, c.urlHash, c.url, c.statusCode, c.finalUrl, JSON.stringify(c.redirectChain), c.failureReason],
  );
}

/** Broken (no answer or >= 400) and redirected external URLs of the run. */
export async function externalCounts(db: Queryable, runId: string): Promise<{ broken: number; redirected: number }> {
  const [c] = await db.query(
    `SELECT count(*) FILTER (WHERE status_code IS NULL OR status_code >= 400)::int AS broken,
            count(*) FILTER (WHERE status_code < 400 AND jsonb_array_length(redirect_chain) > 0)::int AS redirected
       FROM external_links WHERE run_id = $1`,
    [runId],
  );
  return c;
}
