// Durability: a worker PROCESS is killed with SIGKILL while it is inside an audit activity. Two worker processes poll
// the task queue; the one the server names as running the audit batch is killed. The batch times out on its (short)
// heartbeat timeout, is retried on the surviving worker, and resumes from the last heartbeat the server recorded: the
// pages that heartbeat covered are never fetched again, and every page ends up in page_audits exactly once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { startSiteRun } from '../../src/api/runService';
import type { SiteAuditResult } from '../../src/workflows/contracts';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { connectTestClient, createTestDatabase, testConfig, uid, waitFor, type TestDb } from '../helpers/stack';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';
import { assertEveryPageOnce, pendingActivities, type Pending } from './durability.helpers';

const PAGE_DELAY_MS = 400;
const HEARTBEAT_TIMEOUT_MS = 2_500;
// Heartbeats reach the server at most every 80% of the heartbeat timeout.
const THROTTLE_MS = HEARTBEAT_TIMEOUT_MS * 0.8;

let site: SlowSite;
let tdb: TestDb;
let client: Client;
const workers: WorkerProcess[] = [];

before(async () => {
  site = await startSlowSite({ pages: 23, delayMs: PAGE_DELAY_MS });
  tdb = await createTestDatabase('durkill');
});

after(async () => {
  await Promise.all(workers.map((w) => w.stop(5_000)));
  await client?.connection.close();
  await tdb?.close();
  await site?.close();
});

test('kill -9 of the worker running an audit batch: the batch resumes from its heartbeat on the other worker', async () => {
  const t0 = Date.now();
  const config = testConfig({
    AUDIT_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
    AUDIT_RETRY_INITIAL_MS: '200',
    AUDIT_RETRY_MAX_MS: '1000',
    PERSIST_RETRY_MAX_MS: '2000',
  });
  const env = {
    DATABASE_URL: tdb.url,
    DATABASE_POOL_SIZE: '4',
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    WORKFLOW_BUNDLE_PATH: config.worker.bundlePath,
    ALLOW_PRIVATE_TARGETS: 'true',
    AUDIT_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
    LOG_LEVEL: 'warn',
  };
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

  // Wait until the server holds a heartbeat of the running audit batch that covers at least 3 pages.
  const running = await waitFor(async () => {
    const audit = (await pendingActivities(client, handle)).find((p) => p.activityType === 'auditBatch');
    return audit && audit.started && audit.attempt === 1 && audit.doneUrls.length >= 3 && audit.doneUrls.length < 10 ? audit : null;
  }, 60_000, 50);
  const victim = workers.find((w) => w.identity === running.lastWorkerIdentity);
  const survivor = workers.find((w) => w !== victim)!;
  assert.ok(victim, `the audit batch runs on one of our worker processes (identity ${running.lastWorkerIdentity})`);
  await victim.kill9();
  const killedAt = Date.now();
  assert.equal((await victim.exited).signal, 'SIGKILL');

  // The heartbeat as the server recorded it, now that nothing can add to it.
  const atKill = (await pendingActivities(client, handle)).find((p) => p.activityId === running.activityId)!;
  assert.ok(atKill, 'the killed batch is still pending on the server');
  assert.equal(atKill.attempt, 1);
  const covered = new Set(atKill.doneUrls.map((u) => new URL(u).pathname));
  assert.ok(covered.size >= 3, `heartbeat covered ${covered.size} pages`);

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
  const [row] = await tdb.db.query(`SELECT status FROM audit_runs WHERE id = $1`, [result.runId]);
  assert.equal(row.status, 'completed');
  const { missing, duplicates } = await assertEveryPageOnce(tdb.db, result.runId, site.origin, site.paths);

  // From the fixture server's request log: pages the heartbeat covered were fetched exactly once, before the kill.
  const counts = site.counts();
  for (const p of covered) {
    assert.equal(counts.get(p), 1, `${p} was covered by the heartbeat and must not be fetched again`);
  }
  const afterKill = site.requests.filter((r) => r.at > killedAt);
  assert.ok(afterKill.every((r) => !covered.has(r.path)), 'nothing the heartbeat covered was fetched after the kill');
  // Pages fetched twice: those the killed worker finished after its last heartbeat reached the server, plus the one
  // in flight. Heartbeats are throttled to 80% of the timeout, so that is at most THROTTLE_MS of pages + 1.
  const refetched = [...counts].filter(([, n]) => n > 1).map(([p]) => p);
  const bound = Math.ceil(THROTTLE_MS / PAGE_DELAY_MS) + 1;
  assert.ok(refetched.length <= bound, `refetched ${refetched.length} pages (${refetched.join(', ')}), at most ${bound} allowed`);
  assert.ok([...counts].every(([, n]) => n <= 2), 'no page fetched more than twice');
  assert.equal(counts.size, site.paths.length, 'every page was fetched');

  console.log(
    `# durability/worker-kill: ${site.paths.length} pages, heartbeat covered ${covered.size}, refetched ${refetched.length}, ` +
      `missing ${missing}, duplicates ${duplicates}, ${elapsedMs} ms (workers ready ${readyMs} ms, kill at ${killedAt - t0} ms)`,
  );
});
