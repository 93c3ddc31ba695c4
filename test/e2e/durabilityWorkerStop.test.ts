// A worker that is stopped (SIGTERM, as a deploy or `docker compose` does) while it crawls: once its shutdown grace
// time is over, its crawl steps persist what they audited, put the rest of their claims back in the queue and end
// normally, so the other worker goes on with them. They used to fail instead, which spent an attempt of the step's
// retry policy: with one attempt (as here), or after three restarts during one step, their URLs were recorded as
// audit_failed. Expected: every page audited once, none failed, no crawl step failed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { startSiteRun } from '../../src/api/runService';
import type { SiteAuditResult } from '../../src/workflows/contracts';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { connectTestClient, createTestDatabase, testConfig, uid, waitFor, type TestDb } from '../helpers/stack';
import { spawnWorkerProcess, workerProcessEnv, type WorkerProcess } from '../helpers/workerProcess';
import { assertEveryPageOnce, closeAll, pendingActivities } from './durability.helpers';

const PAGES = 1_500;

let site: SlowSite;
let tdb: TestDb;
let client: Client;
const workers: WorkerProcess[] = [];

before(async () => {
  site = await startSlowSite({ pages: PAGES - 1, delayMs: 5 });
  tdb = await createTestDatabase('durstop');
});

after(() => closeAll({ workers, client, tdb, site }));

test(`a worker stopped mid-run on a ${PAGES}-page site: its steps hand their URLs back, none is recorded as failed`, async () => {
  const config = testConfig({ AUDIT_HEARTBEAT_TIMEOUT_MS: '3000', AUDIT_RETRY_INITIAL_MS: '200', AUDIT_RETRY_MAX_MS: '1000', AUDIT_RETRY_MAX_ATTEMPTS: '1' });
  const env = workerProcessEnv(config, tdb.url, { DATABASE_POOL_SIZE: '6', AUDIT_HEARTBEAT_TIMEOUT_MS: '3000', WORKER_CONNECTIONS_PER_HOST: '8', WORKER_SHUTDOWN_GRACE_MS: '200' });
  const tag = uid();
  workers.push(...(await Promise.all([spawnWorkerProcess(env, `stop-a-${tag}`), spawnWorkerProcess(env, `stop-b-${tag}`)])));
  client = await connectTestClient(config);
  const started = await startSiteRun(
    { db: tdb.db, client, config },
    {
      url: site.origin,
      idempotencyKey: `stop-${tag}`,
      options: { auditBatchSize: 100, parallelBatches: 4, perHostConcurrency: 8, persistBatchSize: 25, fetchRetries: 0, requestTimeoutMs: 10_000, maxPages: PAGES + 10 },
    },
  );
  const handle = client.workflow.getHandle(started.workflowId);
  const persisted = async (): Promise<number> => {
    const [r] = await tdb.db.query(`SELECT persisted FROM audit_runs WHERE workflow_id = $1`, [started.workflowId]);
    return r?.persisted ?? 0;
  };

  // Mid-run, with crawl steps running on the worker we stop.
  const victim = await waitFor(async () => {
    if ((await persisted()) < PAGES / 5) return null;
    const running = (await pendingActivities(client, handle)).filter((p) => p.activityType === 'crawlBatch' && p.started);
    return workers.find((w) => running.some((p) => p.lastWorkerIdentity === w.identity)) ?? null;
  }, 120_000, 50);
  const persistedAtStop = await persisted();
  assert.ok(persistedAtStop < PAGES - 200, `stopped mid-run (persisted ${persistedAtStop})`);
  await victim.stop(30_000);
  const { code } = await victim.exited;
  assert.equal(code, 0, `the stopped worker exits cleanly:\n${victim.output().slice(-2000)}`);

  const result = (await handle.result()) as SiteAuditResult;
  assert.equal(result.pagesFailed, 0, 'no page recorded as failed');
  assert.equal(result.pagesAudited, PAGES);
  const { missing, duplicates } = await assertEveryPageOnce(tdb.db, result.runId, site.origin, site.paths);
  assert.deepEqual({ missing, duplicates }, { missing: 0, duplicates: 0 });
  const events = (await handle.fetchHistory()).events!;
  const failedSteps = events.filter((e) => e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes).length;
  assert.equal(failedSteps, 0, 'no activity attempt failed or timed out');
  console.log(`# durability/stop: ${PAGES} pages, worker stopped at ${persistedAtStop} persisted, failed ${result.pagesFailed}, missing ${missing}, duplicates ${duplicates}`);
});
