// Writes to the crawl frontier. Callers hold the run row lock, so the maxPages cap is exact under concurrency.
import type { EntityManager } from 'typeorm';

export interface FrontierCandidate {
  url: string;
  urlHash: string;
  depth: number;
  source: 'seed' | 'sitemap' | 'link';
  inSitemap: boolean;
}

/**
 * Serializes enqueues of one run for the rest of the transaction, so the maxPages cap is exact. An advisory lock, not a
 * row lock on audit_runs: the page and link inserts take KEY SHARE locks on that row (foreign keys), and a row lock
 * taken after them deadlocked concurrent lanes; an advisory lock conflicts with nothing else.
 */
export async function lockRun(tx: EntityManager, runId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`frontier:${runId}`]);
}

/** Inserts new URLs (first seen wins), up to maxPages for the run; returns how many were added. */
export async function enqueue(tx: EntityManager, runId: string, items: FrontierCandidate[], maxPages: number): Promise<number> {
  if (items.length === 0) return 0;
  const [{ n }] = await tx.query(`SELECT count(*)::int AS n FROM frontier WHERE run_id = $1`, [runId]);
  const room = Math.max(0, maxPages - n);
  // Sitemap membership is recorded even for URLs already queued (or beyond the cap of what gets crawled).
  const inSitemap = items.filter((i) => i.inSitemap).map((i) => i.urlHash);
  if (inSitemap.length > 0) {
    await tx.query(`UPDATE frontier SET in_sitemap = true WHERE run_id = $1 AND url_hash = ANY($2) AND NOT in_sitemap`, [runId, inSitemap]);
  }
  if (room === 0) return 0;
  const inserted = await tx.query(
    `INSERT INTO frontier (run_id, url_hash, url, depth, source, in_sitemap)
     SELECT $1, c.url_hash, c.url, c.depth, c.source, c.in_sitemap
       FROM jsonb_to_recordset($2::jsonb) AS c(url_hash text, url text, depth int, source text, in_sitemap boolean, ord int)
      WHERE NOT EXISTS (SELECT 1 FROM frontier f WHERE f.run_id = $1 AND f.url_hash = c.url_hash)
      ORDER BY c.ord
      LIMIT $3
     ON CONFLICT (run_id, url_hash) DO NOTHING
     RETURNING id`,
    [runId, JSON.stringify(dedupe(items).map((i, ord) => ({ url_hash: i.urlHash, url: i.url, depth: i.depth, source: i.source, in_sitemap: i.inSitemap, ord }))), room],
  );
  return inserted.length;
}

function dedupe(items: FrontierCandidate[]): FrontierCandidate[] {
  const seen = new Set<string>();
  return items.filter((i) => (seen.has(i.urlHash) ? false : (seen.add(i.urlHash), true)));
}
