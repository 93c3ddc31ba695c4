// The crawl frontier: every URL a run will audit, kept in PostgreSQL (never in workflow state). Every activity that
// adds, hands out or finishes URLs goes through this module. Lifecycle of one row:
//
//   enqueue ──► queued ──claim(token)──► claimed ──complete(token)──► done
//                  ▲                        │
//                  ├────defer(notBefore)────┤   an open circuit breaker: back to the queue, retried later
//                  └────release(token)──────┘   a stopping worker: back to the queue for the next step
//
// - enqueue: insert on (run_id, url_hash), first seen wins, never beyond the run's maxPages. Callers hold lockRun
//   for the rest of their transaction, so the cap is exact; audit_runs.discovered is bumped by what was inserted,
//   so nothing recounts the frontier.
// - claim: up to `size` queued rows under a deterministic token (`<firstExecutionRunId>:<seq>`). A token that holds
//   rows claims nothing new; it gets back those not completed yet: a retried activity (a lost worker's batch, re-run
//   by Temporal on another worker) re-claims exactly what its dead predecessor had not finished. That is the whole
//   re-claim protocol; no lease expiry is needed because Temporal owns the retry.
// - claimMore: a running step whose queue runs low adds queued rows to its own token (bounded by the caller), so a
//   slow URL at the end of a batch does not idle the lane; a retry re-claims all of them like any held rows.
// - complete: marks a token's rows done and says which rows it changed, so counters bumped from that answer are
//   exact under retries (a second complete of the same rows changes nothing and counts nothing).
// - defer: puts a token's rows back in the queue with a not-before time; a row deferred MAX_DEFERS times is not
//   deferred again (the caller records it as failed instead), so a host that never recovers ends the run.
// - release: puts a token's unfinished rows back in the queue as they were, for a crawl step whose worker is stopping
//   (its shutdown grace time is over): the step ends normally, and the next one, on another worker, claims them. A
//   retry of the same token after a release claims afresh.
// - adopt: a redirect's target, whose response the crawl already has, joins the token as if claimed (a queued row is
//   taken over, a missing one inserted claimed, within maxPages; hold lockRun), so it is completed with the redirect
//   and never fetched twice. A target another token holds, or already done, is not adopted.
// - clear: a rerun's new execution starts with an empty frontier (initRun, in the transaction that resets the run).
import type { EntityManager } from 'typeorm';
import type { Queryable } from '../db/repositories/queryable';
/** What claims need: a query, and a transaction to scope their planner settings (a DataSource or an EntityManager). */
type Transactional = Queryable & { transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> };

/** The next $3 queued URLs of run $1 (shallowest first, in queue order; deferred ones once due), claimed for token $2. */
export const CLAIM_NEXT_SQL = `UPDATE frontier SET status = 'claimed', claim_token = $2
   WHERE id IN (SELECT id FROM frontier
                 WHERE run_id = $1 AND status = 'queued' AND (not_before IS NULL OR not_before <= now())
                 ORDER BY depth, id LIMIT $3 FOR UPDATE SKIP LOCKED)
 RETURNING url, url_hash, depth, defers, status`;

/**
 * Taking the next queued URLs must walk the queue index (run_id, status, depth, id) in order and stop after `size`
 * rows. While the run's rows are newer than the table's statistics (all run long, at 100k pages) the planner expects
 * a handful of the run's rows and reads them all instead, through a bitmap scan (a fresh database) or the claim-token
 * index (a database holding earlier runs), then sorts them: claims grew from ~4 ms to 15-60 ms as the queue grew (61 s
 * of PostgreSQL time in a 100k run, the largest cost after the links' COPY). With bitmap scans, sequential scans and
 * sorts off for the claim's own transaction, the ordered queue index is the only plan left: ~4-5 ms per claim of
 * 100, flat from the first claim to the 1,000th, whatever the statistics.
 */
export function inQueueOrder<T>(db: Transactional, claimSql: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(`SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off`);
    return claimSql(tx);
  });
}

/** TypeORM's postgres driver answers UPDATE/DELETE … RETURNING with [rows, affected]; INSERT … RETURNING with rows. */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

export interface FrontierCandidate {
  url: string;
  urlHash: string;
  depth: number;
  /** target: a canonical/hreflang/redirect target of a crawled page (see PageRecord.targets). */
  source: 'seed' | 'sitemap' | 'link' | 'target';
  inSitemap: boolean;
}

export interface ClaimedRow {
  url: string;
  urlHash: string;
  depth: number;
  /** How often this URL was deferred before (open circuit). */
  defers: number;
}

/** A URL is deferred at most this many times; after that its failure is recorded. */
export const MAX_DEFERS = 4;

/**
 * Serializes enqueues of one run for the rest of the transaction, so the maxPages cap is exact. An advisory lock, not a
 * row lock on audit_runs: the page and link inserts take KEY SHARE locks on that row (foreign keys), and a row lock
 * taken after them deadlocked concurrent lanes; an advisory lock conflicts with nothing else.
 */
export async function lockRun(tx: Queryable, runId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`frontier:${runId}`]);
}

/**
 * Inserts new URLs (first seen wins), up to maxPages for the run; returns how many were added. Hold lockRun. With
 * `claimToken`, the new rows are inserted already claimed by it (adopt).
 */
export async function enqueue(tx: Queryable, runId: string, items: FrontierCandidate[], maxPages: number, claimToken: string | null = null): Promise<number> {
  if (items.length === 0) return 0;
  // Sitemap membership is recorded even for URLs already queued (or beyond the cap of what gets crawled).
  const inSitemap = items.filter((i) => i.inSitemap).map((i) => i.urlHash);
  if (inSitemap.length > 0) {
    await tx.query(`UPDATE frontier SET in_sitemap = true WHERE run_id = $1 AND url_hash = ANY($2) AND NOT in_sitemap`, [runId, inSitemap]);
  }
  const [{ discovered }] = await tx.query(`SELECT discovered FROM audit_runs WHERE id = $1`, [runId]);
  const room = Math.max(0, maxPages - Number(discovered));
  if (room === 0) return 0;
  const status = claimToken === null ? 'queued' : 'claimed';
  // Known URLs are dropped by a plain read first, so the INSERT meets no existing row: ON CONFLICT on a row another
  // lane's open transaction is completing waits for that transaction, while this one holds the run's lock that the
  // other is about to ask for: a deadlock, broken by PostgreSQL only after deadlock_timeout (1 s) and a retry of the
  // whole chunk. The rows left are new, in order; the first ones that fit under the cap win. New rows appear only
  // under the run's lock, so none can have arrived between the read and the INSERT (ON CONFLICT stays as a guard).
  const fresh = await newCandidates(tx, runId, dedupe(items));
  const added = await insertNew(tx, runId, fresh.slice(0, room), status, claimToken);
  if (added > 0) {
    await tx.query(`UPDATE audit_runs SET discovered = discovered + $2, updated_at = now() WHERE id = $1`, [runId, added]);
    if (statisticsDue(Number(discovered), Number(discovered) + added)) await tx.query(`ANALYZE (SKIP_LOCKED) frontier`);
  }
  return added;
}

/**
 * The frontier's statistics are refreshed by the run itself as it grows past 1k, 4k, 16k and 64k URLs. Until
 * autovacuum (once a minute at best) has seen a run, the planner takes its run id for a handful of rows, and a lookup
 * by (run_id, url_hash) picks an index on run_id alone and reads every row of the run (adopting a redirect target,
 * the hop book's "already answered?" check: 2.5-3.3 ms each at 10k rows instead of ~0.1, growing with the run).
 * SKIP_LOCKED: never waits (an autovacuum busy on the table is refreshing them anyway).
 */
function statisticsDue(before: number, after: number): boolean {
  for (let mark = 1_000; mark <= 64_000; mark *= 4) if (before < mark && after >= mark) return true;
  return false;
}

/** Candidates ($2..$6: hashes, urls, depths, sources, in_sitemap) of run $1 inserted as $7 for token $8, known ones skipped. */
export const INSERT_NEW_SQL = `INSERT INTO frontier (run_id, url_hash, url, depth, source, in_sitemap, status, claim_token)
 SELECT $1, c.url_hash, c.url, c.depth, c.source, c.in_sitemap, $7, $8::text
   FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::bool[]) AS c(url_hash, url, depth, source, in_sitemap)
 ON CONFLICT (run_id, url_hash) DO NOTHING
 RETURNING 1`;

/** Inserts new candidates (all of them fit under the cap); returns how many. */
async function insertNew(tx: Queryable, runId: string, items: FrontierCandidate[], status: string, claimToken: string | null): Promise<number> {
  if (items.length === 0) return 0;
  const rows: unknown[] = await tx.query(INSERT_NEW_SQL, [runId, ...columns(items), status, claimToken]);
  return rows.length;
}

/** The candidates not in the run's frontier yet, in order; a read that waits for no lock. */
async function newCandidates(tx: Queryable, runId: string, items: FrontierCandidate[]): Promise<FrontierCandidate[]> {
  if (items.length === 0) return items;
  const [row] = await tx.query(
    `SELECT array_agg(url_hash) AS hashes FROM frontier WHERE run_id = $1 AND url_hash = ANY($2)`,
    [runId, items.map((i) => i.urlHash)],
  );
  const known = new Set<string>(row?.hashes ?? []);
  return known.size === 0 ? items : items.filter((i) => !known.has(i.urlHash));
}

function columns(items: FrontierCandidate[]): unknown[] {
  return [items.map((i) => i.urlHash), items.map((i) => i.url), items.map((i) => i.depth), items.map((i) => i.source), items.map((i) => i.inSitemap)];
}

export interface ClaimResult {
  /** The token's URLs not done yet. */
  urls: ClaimedRow[];
  /** Every URL the token holds, done or not (a retry of a finished step holds some and has none left to do). */
  held: number;
  /** When nothing is claimable now but deferred URLs wait: ms until the earliest may be claimed. */
  retryInMs: number | null;
}

/**
 * Claims up to `size` queued URLs under `token`. A token that already holds URLs claims nothing new: it gets back its
 * URLs that are not done yet (a retry resumes; a retry of a finished step has nothing left to do).
 */
export async function claim(db: Transactional, runId: string, token: string, size: number): Promise<ClaimResult> {
  type Row = { url: string; url_hash: string; depth: number; defers: number; status: string };
  let rows: Row[] = await db.query(
    `SELECT url, url_hash, depth, defers, status FROM frontier WHERE run_id = $1 AND claim_token = $2`,
    [runId, token],
  );
  if (rows.length === 0 && size > 0) {
    const claimed = await inQueueOrder(db, (tx) => tx.query(CLAIM_NEXT_SQL, [runId, token, size]));
    rows = returnedRows<Row>(claimed);
  }
  let retryInMs: number | null = null;
  if (rows.length === 0) {
    const [next] = await db.query(
      `SELECT CASE WHEN min(not_before) IS NULL THEN NULL
                   ELSE GREATEST(0, EXTRACT(EPOCH FROM (min(not_before) - now())) * 1000)::int END AS ms
         FROM frontier WHERE run_id = $1 AND status = 'queued' AND not_before IS NOT NULL`,
      [runId],
    );
    retryInMs = next?.ms ?? null;
  }
  const urls = rows
    .filter((r) => r.status === 'claimed')
    .map((r) => ({ url: r.url, urlHash: r.url_hash, depth: r.depth, defers: r.defers }))
    .sort((a, b) => a.depth - b.depth || a.url.localeCompare(b.url));
  return { urls, held: rows.length, retryInMs };
}

/**
 * Adopts URLs into `token` (see the lifecycle above); returns the depth of each URL the token now holds among them.
 * Hold lockRun: missing URLs are inserted within the run's cap.
 */
export async function adopt(tx: Queryable, runId: string, token: string, items: FrontierCandidate[], maxPages: number): Promise<Map<string, number>> {
  const held = new Map<string, number>();
  if (items.length === 0) return held;
  // SKIP LOCKED: a row another transaction is changing (a lane completing it, a claim taking it) is that lane's, and
  // waiting for it while holding the run's lock could deadlock with that lane's own enqueue.
  const taken = returnedRows<{ url_hash: string; depth: number }>(await tx.query(
    `UPDATE frontier SET status = 'claimed', claim_token = $2
      WHERE id IN (SELECT id FROM frontier
                    WHERE run_id = $1 AND url_hash = ANY($3) AND (status = 'queued' OR (status = 'claimed' AND claim_token = $2))
                    FOR UPDATE SKIP LOCKED)
     RETURNING url_hash, depth`,
    [runId, token, items.map((i) => i.urlHash)],
  ));
  for (const r of taken) held.set(r.url_hash, r.depth);
  // The rest: enqueue inserts, claimed by the token, only those not in the frontier (it reads which are).
  const rest = items.filter((i) => !held.has(i.urlHash));
  if (rest.length > 0 && (await enqueue(tx, runId, rest, maxPages, token)) > 0) {
    const rows: Array<{ url_hash: string; depth: number }> = await tx.query(
      `SELECT url_hash, depth FROM frontier WHERE run_id = $1 AND claim_token = $2 AND status = 'claimed' AND url_hash = ANY($3)`,
      [runId, token, rest.map((i) => i.urlHash)],
    );
    for (const r of rows) held.set(r.url_hash, r.depth);
  }
  return held;
}

/** Adds up to `size` more queued URLs to a token that is being worked on (see claimMore in the lifecycle above). */
export async function claimMore(db: Transactional, runId: string, token: string, size: number): Promise<ClaimedRow[]> {
  if (size <= 0) return [];
  const rows = returnedRows<{ url: string; url_hash: string; depth: number; defers: number }>(
    await inQueueOrder(db, (tx) => tx.query(CLAIM_NEXT_SQL, [runId, token, size])),
  );
  return rows.map((r) => ({ url: r.url, urlHash: r.url_hash, depth: r.depth, defers: r.defers }));
}

/** Marks the token's rows among `urlHashes` done; returns the hashes this call changed (none on a repeat). */
export async function complete(tx: Queryable, runId: string, token: string, urlHashes: string[]): Promise<Set<string>> {
  if (urlHashes.length === 0) return new Set();
  const rows = returnedRows<{ url_hash: string }>(await tx.query(
    `UPDATE frontier SET status = 'done' WHERE run_id = $1 AND claim_token = $2 AND status = 'claimed' AND url_hash = ANY($3)
     RETURNING url_hash`,
    [runId, token, urlHashes],
  ));
  return new Set(rows.map((r) => r.url_hash));
}

/** Puts the token's rows among `urlHashes` back in the queue, claimable again after `delayMs`. */
export async function defer(db: Queryable, runId: string, token: string, urlHashes: string[], delayMs: number): Promise<number> {
  if (urlHashes.length === 0) return 0;
  const rows = returnedRows(await db.query(
    `UPDATE frontier SET status = 'queued', claim_token = NULL, defers = defers + 1,
            not_before = now() + make_interval(secs => $4::double precision / 1000)
      WHERE run_id = $1 AND claim_token = $2 AND status = 'claimed' AND url_hash = ANY($3)
     RETURNING 1`,
    [runId, token, urlHashes, delayMs],
  ));
  return rows.length;
}

/** Puts every row the token still holds (claimed, not done) back in the queue, claimable at once; returns how many. */
export async function release(db: Queryable, runId: string, token: string): Promise<number> {
  const rows = returnedRows(await db.query(
    `UPDATE frontier SET status = 'queued', claim_token = NULL WHERE run_id = $1 AND claim_token = $2 AND status = 'claimed'
     RETURNING 1`,
    [runId, token],
  ));
  return rows.length;
}

function dedupe(items: FrontierCandidate[]): FrontierCandidate[] {
  const seen = new Set<string>();
  return items.filter((i) => (seen.has(i.urlHash) ? false : (seen.add(i.urlHash), true)));
}

/** Empties a run's frontier: a rerun's new execution discovers its URLs again (initRun, holding the run's row lock). */
export async function clear(tx: Queryable, runId: string): Promise<void> {
  await tx.query(`DELETE FROM frontier WHERE run_id = $1`, [runId]);
}
