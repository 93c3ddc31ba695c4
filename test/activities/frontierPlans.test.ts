// The frontier's hot statements must not depend on planner statistics (issue 9: "check every hot query with EXPLAIN
// on a fresh run and keep those plans in a test"). A run's frontier rows are newer than the table's statistics for
// the whole run. The planner then expected a handful of queued rows and fetched and sorted every queued row per claim
// (15-60 ms per claim at 100k pages, growing with the queue): claims run with bitmap and sequential scans off, the
// queue index in order, stopping after the claim's size. And an enqueue's NOT EXISTS filter became an anti join that
// re-read the run's frontier per candidate: an enqueue reads the known candidates by the (run_id, url_hash) key, then
// inserts the new ones with a plain INSERT … ON CONFLICT DO NOTHING, which therefore never waits for a row another
// lane is changing (the last test: that wait, under the run's lock, deadlocked with the other lane's enqueue).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { claim, CLAIM_NEXT_SQL, complete, enqueue, inQueueOrder, INSERT_NEW_SQL, lockRun, type FrontierCandidate } from '../../src/activities/frontier';
import { createTestDatabase, waitFor, type TestDb } from '../helpers/stack';

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] };
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
const describePlan = (p: PlanNode) => nodes(p).map((n) => `${n['Node Type']}${n['Index Name'] ? ` (${n['Index Name']})` : n['Relation Name'] ? ` (${n['Relation Name']})` : ''}`).join(' > ');

let tdb: TestDb;
let runId: string;
const QUEUED = 100_000;

/** A running run of the test site; its id. */
async function newRun(key: string): Promise<string> {
  const [{ id }] = await tdb.db.query(
    `INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, status, stage, execution_id, started_at)
     VALUES ($1, $1, 'http://claim.test/', 'claim.test', 'running', 'auditing', 'exec', now()) RETURNING id`,
    [`site-audit:claim.test:${key}`],
  );
  return id;
}

/** enqueue as persist calls it: inside a transaction holding the run's lock. */
const enqueueLocked = (run: string, items: FrontierCandidate[], maxPages: number) => tdb.db.transaction(async (tx) => {
  await lockRun(tx, run);
  return enqueue(tx, run, items, maxPages);
});

before(async () => {
  tdb = await createTestDatabase('claim');
  runId = await newRun('k');
  // A database's first large run: the frontier has never been analyzed (autovacuum off here, so it stays that way
  // while the test plans), and the run's queued URLs are all the planner could know about.
  await tdb.db.query(`ALTER TABLE frontier SET (autovacuum_enabled = false)`);
  // Every ANALYZE here reads the whole table (a sample of 300 × 1,000 rows, more than the table holds), so the plans
  // below never depend on which rows a random sample happened to take (with the default 30,000-row sample the
  // statistics of the earlier-runs test and of the growing run came out differently from run to run: 3 of 8 failed).
  await tdb.db.query(`ALTER TABLE frontier ALTER COLUMN run_id SET STATISTICS 1000, ALTER COLUMN url_hash SET STATISTICS 1000,
    ALTER COLUMN status SET STATISTICS 1000, ALTER COLUMN depth SET STATISTICS 1000, ALTER COLUMN claim_token SET STATISTICS 1000`);
  await tdb.db.query(
    `INSERT INTO frontier (run_id, url_hash, url, depth, source, in_sitemap, status)
     SELECT $1, md5('u' || i), 'http://claim.test/p/' || i, 1 + i * 5 / $2, 'link', false, 'queued' FROM generate_series(0, $2 - 1) i`,
    [runId, QUEUED],
  );
});

after(async () => {
  await tdb?.close();
});

const explain = async (run: (sql: string, params: unknown[]) => Promise<any>): Promise<PlanNode> => {
  const [row] = await run(`EXPLAIN (FORMAT JSON) ${CLAIM_NEXT_SQL}`, [runId, 'plan', 100]);
  return (row['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0].Plan;
};

test('with statistics older than the run, a claim walks the queue index in order and sorts nothing', async () => {
  const plan = await inQueueOrder(tdb.db, (tx) => explain((sql, params) => tx.query(sql, params)));
  const all = nodes(plan);
  assert.ok(all.some((n) => /Index Scan/.test(n['Node Type']) && n['Index Name'] === 'frontier_queue_idx'), describePlan(plan));
  assert.ok(!all.some((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Bitmap Heap Scan' || n['Node Type'] === 'Seq Scan'), describePlan(plan));
  // The check can fail: the same statement planned with the stale statistics alone reads every queued row.
  const unguarded = await explain((sql, params) => tdb.db.query(sql, params));
  assert.ok(nodes(unguarded).some((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Bitmap Heap Scan' || n['Node Type'] === 'Seq Scan'), describePlan(unguarded));
});

test('claims take the shallowest queued URLs first, each once', async () => {
  const a = await claim(tdb.db, runId, 'exec:1', 100);
  const b = await claim(tdb.db, runId, 'exec:2', 100);
  assert.equal(a.urls.length, 100);
  assert.equal(b.urls.length, 100);
  assert.equal(new Set([...a.urls, ...b.urls].map((u) => u.urlHash)).size, 200);
  const [{ first }] = await tdb.db.query(`SELECT min(depth)::int AS first FROM frontier WHERE run_id = $1`, [runId]);
  assert.ok([...a.urls, ...b.urls].every((u) => u.depth === first));
  const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM frontier WHERE run_id = $1 AND status = 'claimed'`, [runId]);
  assert.equal(n, 200);
});

test('an enqueue below the cap reads no frontier rows: no join, no scan, only the ON CONFLICT key', async () => {
  const hashes = Array.from({ length: 400 }, (_, i) => (i < 200 ? `known-${i}` : `new-${i}`));
  const [row] = await tdb.db.query(`EXPLAIN (FORMAT JSON) ${INSERT_NEW_SQL}`, [
    runId, hashes, hashes.map((h) => `http://claim.test/${h}`), hashes.map(() => 2), hashes.map(() => 'link'), hashes.map(() => false), 'queued', null,
  ]);
  const plan = (row['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0].Plan;
  const reads = nodes(plan).filter((n) => /Scan|Join|Loop|Materialize/.test(n['Node Type']) && n['Node Type'] !== 'Function Scan');
  assert.deepEqual(reads.map((n) => n['Node Type']), [], describePlan(plan));
});

test('near the cap the first new URLs in order win, known ones skipped, never beyond maxPages', async () => {
  const capped = await newRun('cap');
  const c = (n: number): FrontierCandidate => ({ url: `http://claim.test/c/${n}`, urlHash: `c${n}`, depth: 1, source: 'link', inSitemap: false });
  const add = (items: FrontierCandidate[]) => enqueueLocked(capped, items, 10);
  assert.equal(await add([1, 2, 3, 4, 5, 6].map(c)), 6);
  // Room for 4: the head (3 known, 1 new) adds 1, then the first 3 new ones of the rest.
  assert.equal(await add([1, 2, 3, 7, 8, 9, 4, 10, 11, 12, 13].map(c)), 4);
  assert.equal(await add([14].map(c)), 0, 'at the cap nothing more');
  const rows: Array<{ url_hash: string }> = await tdb.db.query(`SELECT url_hash FROM frontier WHERE run_id = $1 ORDER BY url_hash`, [capped]);
  assert.deepEqual(rows.map((r) => r.url_hash), ['c1', 'c10', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
  const [{ discovered }] = await tdb.db.query(`SELECT discovered FROM audit_runs WHERE id = $1`, [capped]);
  assert.equal(discovered, 10);
});

test('on a database whose statistics know only earlier runs, a claim still walks the queue index in order', async () => {
  for (const key of ['earlier-1', 'earlier-2', 'earlier-3']) {
    await tdb.db.query(
      `INSERT INTO frontier (run_id, url_hash, url, depth, source, in_sitemap, status)
       SELECT $1, md5($2 || i), 'http://claim.test/' || $2 || '/' || i, 1 + i / 500, 'link', false, 'done' FROM generate_series(0, 1999) i`,
      [await newRun(key), key],
    );
  }
  await tdb.db.query(`ANALYZE frontier`);
  const current = await newRun('current');
  await tdb.db.query(
    `INSERT INTO frontier (run_id, url_hash, url, depth, source, in_sitemap, status)
     SELECT $1, md5('now' || i), 'http://claim.test/now/' || i, 1 + i / 2000, 'link', false, 'queued' FROM generate_series(0, 9999) i`,
    [current],
  );
  const explainFor = async (run: (sql: string, params: unknown[]) => Promise<any>): Promise<PlanNode> => {
    const [row] = await run(`EXPLAIN (FORMAT JSON) ${CLAIM_NEXT_SQL}`, [current, 'plan', 100]);
    return (row['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0].Plan;
  };
  const plan = await inQueueOrder(tdb.db, (tx) => explainFor((sql, params) => tx.query(sql, params)));
  assert.ok(nodes(plan).some((n) => /Index Scan/.test(n['Node Type']) && n['Index Name'] === 'frontier_queue_idx'), describePlan(plan));
  assert.ok(!nodes(plan).some((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Bitmap Heap Scan' || n['Node Type'] === 'Seq Scan'), describePlan(plan));
  // Unguarded, these statistics lead the planner to read the run's rows by another index and sort them all.
  const unguarded = await explainFor((sql, params) => tdb.db.query(sql, params));
  assert.ok(nodes(unguarded).some((n) => n['Node Type'] === 'Sort'), describePlan(unguarded));
});

test('a run refreshes the frontier statistics as it grows, so lookups by URL use the (run_id, url_hash) key', async () => {
  const growing = await newRun('grow');
  const batch = (from: number, n: number): FrontierCandidate[] =>
    Array.from({ length: n }, (_, i) => ({ url: `http://claim.test/g/${from + i}`, urlHash: `g${from + i}`, depth: 1, source: 'link', inSitemap: false }));
  const add = (items: FrontierCandidate[]) => enqueueLocked(growing, items, 100_000);
  const lookupPlan = async (): Promise<PlanNode> => {
    const [row] = await tdb.db.query(`EXPLAIN (FORMAT JSON) SELECT url_hash FROM frontier WHERE run_id = $1 AND url_hash = ANY($2)`, [growing, ['g1', 'g2']]);
    return (row['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0].Plan;
  };
  assert.equal(await add(batch(0, 900)), 900);
  // Statistics that have not seen the run: the lookup takes an index on run_id alone (every row of the run).
  const before = await lookupPlan();
  assert.ok(!nodes(before).some((n) => n['Index Name'] === 'frontier_run_url_uq'), describePlan(before));
  assert.equal(await add(batch(900, 300)), 300);
  const after = await lookupPlan();
  assert.ok(nodes(after).some((n) => n['Index Name'] === 'frontier_run_url_uq'), describePlan(after));
});

test("an enqueue never waits for a row another lane is completing, so that lane's own enqueue cannot deadlock with it", async () => {
  const run = await newRun('deadlock');
  const c = (n: number): FrontierCandidate => ({ url: `http://claim.test/d/${n}`, urlHash: `d${n}`, depth: 1, source: 'link', inSitemap: false });
  await tdb.db.query(`INSERT INTO frontier (run_id, url_hash, url, depth, source, status, claim_token) VALUES ($1, 'd1', 'http://claim.test/d/1', 1, 'link', 'claimed', 'B')`, [run]);
  // Lane B completes d1 in its persist transaction (the row stays locked until B commits) and will then take the
  // run's lock for its own enqueue.
  const b = tdb.db.createQueryRunner();
  await b.connect();
  await b.startTransaction();
  try {
    assert.deepEqual([...(await complete(b.manager, run, 'B', ['d1']))], ['d1']);
    // Lane A holds the run's lock and offers d1 (found on one of its pages) and a new URL.
    let aDone = false;
    const a = enqueueLocked(run, [c(1), c(2)], 100).finally(() => { aDone = true; });
    // A holds this run's lock: pg_locks lists every database's advisory locks (other test files' runs hold theirs), so
    // the lock is told by its database and its key (the bigint key is split into classid, objid). Had B asked first, A
    // would wait for B's lock and B for A's result: a hang PostgreSQL cannot see (it made CI time out once).
    const aLocked = async () => (await tdb.db.query(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [`frontier:${run}`],
    ))[0].n > 0;
    await waitFor(async () => aDone || (await aLocked()), 10_000, 5);
    // B asks for the run's lock while A is inside its enqueue: had A's INSERT waited for B's row, PostgreSQL would
    // abort one of them with "deadlock detected" after deadlock_timeout.
    const bLocked = lockRun(b.manager, run);
    assert.equal(await a, 1, 'd2 is new; d1 is known');
    await bLocked;
    await b.commitTransaction();
  } finally {
    if (b.isTransactionActive) await b.rollbackTransaction();
    await b.release();
  }
  const rows: Array<{ url_hash: string; status: string }> = await tdb.db.query(`SELECT url_hash, status FROM frontier WHERE run_id = $1 ORDER BY url_hash`, [run]);
  assert.deepEqual(rows.map((r) => ({ ...r })), [{ url_hash: 'd1', status: 'done' }, { url_hash: 'd2', status: 'queued' }]);
});
