// The page_links aggregate, read side: the internal link graph of a run, (run_id, from_hash, to_hash) with anchor
// text and nofollow. Links are written by src/activities/persist.ts with their source page; they are read by their
// stable columns only (page_links has no id in its contract: it may be dropped for write speed).
import type { Queryable } from './queryable';

export type LinkRow = {
  run_id: string;
  from_hash: string;
  to_hash: string;
  to_url: string;
  anchor_text: string;
  nofollow: boolean;
};

export async function countInlinks(db: Queryable, runId: string, toHash: string): Promise<number> {
  const [{ inlinks }]: Array<{ inlinks: number }> = await db.query(`SELECT count(*)::int AS inlinks FROM page_links WHERE run_id = $1 AND to_hash = $2`, [runId, toHash]);
  return inlinks;
}

export async function countOutlinks(db: Queryable, runId: string, fromHash: string): Promise<number> {
  const [{ outlinks }]: Array<{ outlinks: number }> = await db.query(`SELECT count(*)::int AS outlinks FROM page_links WHERE run_id = $1 AND from_hash = $2`, [runId, fromHash]);
  return outlinks;
}

/** A link seen from one end: `k` is the other end's hash (the keyset cursor), `url` and status code that end's. */
export type LinkEndRow = { k: string; url: string | null; anchor_text: string; nofollow: boolean; status_code: number | null };

/** Links to a page (any of its hashes), paged by source hash after `cursor`; at most `limit` rows. */
export async function inlinksOf(db: Queryable, runId: string, hashes: string[], cursor: string | null, limit: number): Promise<LinkEndRow[]> {
  return db.query(
    `SELECT l.from_hash AS k, s.url AS url, l.anchor_text, l.nofollow, s.status_code
       FROM page_links l LEFT JOIN page_audits s ON s.run_id = l.run_id AND s.url_hash = l.from_hash
      WHERE l.run_id = $1 AND l.to_hash = ANY($2::text[]) AND ($3::text IS NULL OR l.from_hash > $3)
      ORDER BY l.from_hash LIMIT $4`,
    [runId, hashes, cursor, limit],
  );
}

/** Links from a page (any of its hashes), paged by target hash after `cursor`; at most `limit` rows. */
export async function outlinksOf(db: Queryable, runId: string, hashes: string[], cursor: string | null, limit: number): Promise<LinkEndRow[]> {
  return db.query(
    `SELECT l.to_hash AS k, l.to_url AS url, l.anchor_text, l.nofollow, t.status_code
       FROM page_links l LEFT JOIN page_audits t ON t.run_id = l.run_id AND t.url_hash = l.to_hash
      WHERE l.run_id = $1 AND l.from_hash = ANY($2::text[]) AND ($3::text IS NULL OR l.to_hash > $3)
      ORDER BY l.to_hash LIMIT $4`,
    [runId, hashes, cursor, limit],
  );
}

export type ExportLinkRow = Pick<LinkRow, 'from_hash' | 'to_url' | 'anchor_text' | 'nofollow'> & { to_status_code: number | null };

/** Every outlink of the given source pages, with the target's status code (the links export), in no order. */
export async function outlinksOfPages(db: Queryable, runId: string, fromHashes: string[]): Promise<ExportLinkRow[]> {
  return db.query(
    `SELECT l.from_hash, l.to_url, l.anchor_text, l.nofollow, t.status_code AS to_status_code
       FROM page_links l LEFT JOIN page_audits t ON t.run_id = l.run_id AND t.url_hash = l.to_hash
      WHERE l.run_id = $1 AND l.from_hash = ANY($2::text[])`,
    [runId, fromHashes],
  );
}
