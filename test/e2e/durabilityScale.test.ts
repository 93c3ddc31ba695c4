// Durability at the size where it matters: a 3,000-page site crawled by two worker PROCESSES, one of which is killed
// with SIGKILL inside a persist transaction (its page rows or links written, not committed: the process is frozen with
// SIGSTOP while pg_stat_activity shows it there, so the kill cannot miss). The transaction rolls back, the killed
// worker's batches are retried on the survivor within the heartbeat timeout, and the run ends with every page in
// page_audits exactly once and exact counters.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { startSiteRun } from '../../src/api/runService';
import type { SiteAuditResult } from '../../src/workflows/contracts';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { closedRunRow, connectTestClient, createTestDatabase, testConfig, uid, waitFor, type TestDb } from '../helpers/stack';
import { spawnWorkerProcess, workerProcessEnv, type WorkerProcess } from '../helpers/workerProcess';
import { assertEveryPageOnce, closeAll, pendingActivities } from './durability.helpers';

const PAGES = 3_000;
const HEARTBEAT_TIMEOUT_MS = 3_000;

let site: SlowSite;
let tdb: TestDb;
let client: Client;
const workers: WorkerProcess[] = [];

before(async () => {
  site = await startSlowSite({ pages: PAGES - 1, delayMs: 2 });
  tdb = await createTestDatabase('durscale');
});

after(() => closeAll({ workers, client, tdb, site }));

test(`kill -9 of a worker inside a persist transaction on a ${PAGES}-page site: rolled back, no page lost, none duplicated, retried within the heartbeat timeout`, async () => {
  const t0 = Date.now();
  const config = testConfig({ AUDIT_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS), AUDIT_RETRY_INITIAL_MS: '200', AUDIT_RETRY_MAX_MS: '1000' });
  const env = workerProcessEnv(config, tdb.url, { DATABASE_POOL_SIZE: '6', AUDIT_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS), WORKER_CONNECTIONS_PER_HOST: '8' });
  const tag = uid();
  workers.push(...(await Promise.all([spawnWorkerProcess(env, `scale-a-${tag}`), spawnWorkerProcess(env, `scale-b-${tag}`)])));
  client = await connectTestClient(config);
  const started = await startSiteRun(
    { db: tdb.db, client, config },
    {
      url: site.origin,
      idempotencyKey: `scale-${tag}`,
      options: { auditBatchSize: 100, parallelBatches: 4, perHostConcurrency: 8, persistBatchSize: 50, fetchRetries: 0, requestTimeoutMs: 10_000, maxPages: PAGES + 10 },
    },
  );
  const handle = client.workflow.getHandle(started.workflowId);
  const persisted = async (): Promise<number> => {
    const [r] = await tdb.db.query(`SELECT persisted FROM audit_runs WHERE workflow_id = $1`, [started.workflowId]);
    return r?.persisted ?? 0;
  };

  // Mid-run, with crawl activities running on the worker we are about to kill.
  const victimActivities = await waitFor(async () => {
    if ((await persisted()) < PAGES / 4) return null;
    const crawling = (await pendingActivities(client, handle)).filter((p) => p.activityType === 'crawlBatch' && p.started && p.attempt === 1);
    const byWorker = new Map<string, string[]>();
    for (const p of crawling) byWorker.set(p.lastWorkerIdentity, [...(byWorker.get(p.lastWorkerIdentity) ?? []), p.activityId]);
    const busiest = [...byWorker].sort((a, b) => b[1].length - a[1].length)[0];
    return busiest ? { identity: busiest[0], ids: busiest[1] } : null;
  }, 120_000, 50);
  const victim = workers.find((w) => w.identity === victimActivities.identity)!;
  assert.ok(victim, 'the crawl activities run on one of our worker processes');
  // Inside a persist transaction of the victim (its pool is named by its identity): seen there, frozen, seen there
  // still (else let it go on and look again), then killed.
  const inPersist = async (): Promise<{ xid: string } | null> => {
    const [r] = await tdb.db.query(
      `SELECT backend_xid::text AS xid FROM pg_stat_activity
        WHERE application_name = $1 AND backend_xid IS NOT NULL AND state IN ('active', 'idle in transaction')
          AND (query LIKE 'INSERT INTO page_audits%' OR query LIKE 'COPY page_links%')`,
      [victim.identity],
    );
    return r ?? null;
  };
  const open = await waitFor(async () => {
    if (!(await inPersist())) return null;
    process.kill(victim.pid, 'SIGSTOP');
    const still = await inPersist();
    if (!still) process.kill(victim.pid, 'SIGCONT');
    return still;
  }, 60_000, 5);
  const persistedAtKill = await persisted();
  assert.ok(persistedAtKill < PAGES - 300, `killed mid-run (persisted ${persistedAtKill})`);
  await victim.kill9();
  const killedAt = Date.now();
  // Its transaction (this epoch's xid) is rolled back once PostgreSQL sees the connection gone.
  const xactStatus = async () => (await tdb.db.query(
    `SELECT pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | $1::bigint)::text::xid8) AS s`, [open.xid],
  ))[0].s as string;
  assert.equal(await waitFor(async () => ((await xactStatus()) === 'aborted' ? 'aborted' : null), 30_000, 50), 'aborted');

  // Each killed batch is retried (attempt 2, on the survivor) no later than the heartbeat timeout (+ scheduling slack).
  const retriedAfter = await waitFor(async () => {
    const pending = await pendingActivities(client, handle);
    const stillFirst = pending.filter((p) => victimActivities.ids.includes(p.activityId) && p.attempt === 1);
    return stillFirst.length === 0 ? Date.now() - killedAt : null;
  }, 60_000, 100);
  assert.ok(retriedAfter <= HEARTBEAT_TIMEOUT_MS + 5_000, `killed batches were retried after ${retriedAfter} ms`);

  const result = (await handle.result()) as SiteAuditResult;
  const elapsedMs = Date.now() - t0;
  assert.equal(result.pagesAudited, PAGES);
  assert.equal(result.pagesFailed, 0);
  const { missing, duplicates } = await assertEveryPageOnce(tdb.db, result.runId, site.origin, site.paths);
  const row = await closedRunRow(tdb.db, result.runId, 'status, audited, failed, persisted, discovered');
  assert.deepEqual({ ...row }, { status: 'completed', audited: PAGES, failed: 0, persisted: PAGES, discovered: PAGES });
  const refetched = [...site.counts()].filter(([, n]) => n > 1).length;
  assert.ok([...site.counts()].every(([, n]) => n <= 2), 'no page fetched more than twice');
  console.log(
    `# durability/scale: ${PAGES} pages, killed at ${persistedAtKill} persisted (${victimActivities.ids.length} crawl batches on the victim), ` +
      `its persist transaction ${open.xid} rolled back, retried after ${retriedAfter} ms, refetched ${refetched}, missing ${missing}, duplicates ${duplicates}, ${elapsedMs} ms`,
  );
});
