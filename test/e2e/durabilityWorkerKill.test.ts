// Durability: a worker PROCESS is killed with SIGKILL while it is inside a crawl activity, between persisted chunks.
// Two worker processes poll the task queue; the one the server names as running the crawl batch is killed. The batch
// times out on its (short) heartbeat timeout, is retried on the surviving worker under the same claim token, and
// resumes from the frontier: the pages already persisted are never fetched again, and every page ends up in
// page_audits exactly once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { startSiteRun } from '../../src/api/runService';
import type { SiteAuditResult } from '../../src/workflows/contracts';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { closedRunRow, connectTestClient, createTestDatabase, testConfig, uid, waitFor, type TestDb } from '../helpers/stack';
import { spawnWorkerProcess, workerProcessEnv, type WorkerProcess } from '../helpers/workerProcess';
import { assertEveryPageOnce, closeAll, type Pending, pendingActivities } from './durability.helpers';

const PAGE_DELAY_MS = 400;
const HEARTBEAT_TIMEOUT_MS = 2_500;
// The crawl activity persists what it audited at least this often (src/activities/audit.ts FLUSH_AFTER_MS).
const FLUSH_AFTER_MS = 1_000;

let site: SlowSite;
let tdb: TestDb;
let client: Client;
const workers: WorkerProcess[] = [];

before(async () => {
  site = await startSlowSite({ pages: 23, delayMs: PAGE_DELAY_MS });
  tdb = await createTestDatabase('durkill');
});

after(() => closeAll({ workers, client, tdb, site }));

test('kill -9 of the worker running a crawl batch: the batch resumes from the frontier on the other worker', async () => {
  const t0 = Date.now();
  const config = testConfig({
    AUDIT_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
    AUDIT_RETRY_INITIAL_MS: '200',
    AUDIT_RETRY_MAX_MS: '1000',
    PERSIST_RETRY_MAX_MS: '2000',
  });
  const env = workerProcessEnv(config, tdb.url, { AUDIT_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS) });
  const tag = uid();
  workers.push(...(await Promise.all([spawnWorkerProcess(env, `kill-a-${tag}`), spawnWorkerProcess(env, `kill-b-${tag}`)])));
  const readyMs = Date.now() - t0;
  client = await connectTestClient(config);

  // One lane, one page at a time: the batch's pages are fetched in order, 400 ms each (12 pages ≈ 5 s per batch).
  const started = await startSiteRun(
    { db: tdb.db, client, config },
    {
      url: site.origin,
      idempotencyKey: `kill-${tag}`,
      options: { auditBatchSize: 12, parallelBatches: 1, perHostConcurrency: 1, fetchRetries: 0, requestTimeoutMs: 5_000, maxPages: 100 },
    },
  );
  const handle = client.workflow.getHandle(started.workflowId);

  // Wait until the running crawl batch has persisted at least 3 of its 12 pages (and not 10).
  const persistedCount = async () => {
    const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM page_audits p JOIN audit_runs r ON r.id = p.run_id WHERE r.workflow_id = $1`, [started.workflowId]);
    return n as number;
  };
  const running = await waitFor(async () => {
    const crawl = (await pendingActivities(client, handle)).find((p) => p.activityType === 'crawlBatch');
    if (!crawl || !crawl.started || crawl.attempt !== 1) return null;
    const n = await persistedCount();
    return n >= 3 && n < 10 ? crawl : null;
  }, 60_000, 50);
  const victim = workers.find((w) => w.identity === running.lastWorkerIdentity);
  const survivor = workers.find((w) => w !== victim)!;
  assert.ok(victim, `the crawl batch runs on one of our worker processes (identity ${running.lastWorkerIdentity})`);
  await victim.kill9();
  const killedAt = Date.now();
  assert.equal((await victim.exited).signal, 'SIGKILL');

  // What the dead worker had persisted, now that nothing can add to it.
  const atKill = (await pendingActivities(client, handle)).find((p) => p.activityId === running.activityId)!;
  assert.ok(atKill, 'the killed batch is still pending on the server');
  assert.equal(atKill.attempt, 1);
  const persistedRows: Array<{ url: string }> = await tdb.db.query(
    `SELECT p.url FROM page_audits p JOIN audit_runs r ON r.id = p.run_id WHERE r.workflow_id = $1`, [started.workflowId],
  );
  const covered = new Set(persistedRows.map((r) => new URL(r.url).pathname));
  assert.ok(covered.size >= 3, `${covered.size} pages were persisted before the kill`);

  // The retry runs on the survivor (the only worker left).
  let retried: Pending | null = null;
  const watchRetry = waitFor(async () => {
    const p = (await pendingActivities(client, handle)).find((x) => x.activityId === running.activityId && x.attempt >= 2 && x.started);
    if (p) retried = p;
    return p;
  }, 30_000, 100).catch(() => null);

  const result = (await handle.result()) as SiteAuditResult;
  await watchRetry;
  const elapsedMs = Date.now() - t0;

  assert.ok(retried, 'the batch was retried (attempt 2) after the kill');
  assert.equal((retried as Pending).lastWorkerIdentity, survivor.identity, 'the retry ran on the surviving worker');
  assert.equal(result.pagesAudited, site.paths.length);
  assert.equal(result.pagesFailed, 0);
  const row = await closedRunRow(tdb.db, result.runId);
  assert.equal(row.status, 'completed');
  const { missing, duplicates } = await assertEveryPageOnce(tdb.db, result.runId, site.origin, site.paths);

  // From the fixture server's request log: pages persisted before the kill were fetched exactly once, before it.
  const counts = site.counts();
  for (const p of covered) {
    assert.equal(counts.get(p), 1, `${p} was persisted before the kill and must not be fetched again`);
  }
  const afterKill = site.requests.filter((r) => r.at > killedAt);
  assert.ok(afterKill.every((r) => !covered.has(r.path)), 'nothing persisted before the kill was fetched after it');
  // Pages fetched twice: those the killed worker audited but had not persisted yet (at most FLUSH_AFTER_MS of pages),
  // plus the one in flight.
  const refetched = [...counts].filter(([, n]) => n > 1).map(([p]) => p);
  const bound = Math.ceil(FLUSH_AFTER_MS / PAGE_DELAY_MS) + 1;
  assert.ok(refetched.length <= bound, `refetched ${refetched.length} pages (${refetched.join(', ')}), at most ${bound} allowed`);
  assert.ok([...counts].every(([, n]) => n <= 2), 'no page fetched more than twice');
  assert.equal(counts.size, site.paths.length, 'every page was fetched');

  console.log(
    `# durability/worker-kill: ${site.paths.length} pages, persisted before the kill ${covered.size}, refetched ${refetched.length}, ` +
      `missing ${missing}, duplicates ${duplicates}, ${elapsedMs} ms (workers ready ${readyMs} ms, kill at ${killedAt - t0} ms)`,
  );
});
