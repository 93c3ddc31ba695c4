// Durability: PostgreSQL is stopped mid-run (while lanes are persisting) and started again 10 s later on the same port.
// This test runs its OWN PostgreSQL (not the harness's shared one) so it can stop it. Persist/claim activities fail on
// the database error and are retried (no attempt limit, max interval from PERSIST_RETRY_MAX_MS); the worker keeps its
// DataSource (no restart), its pg pool replaces the dead connections, and every page ends up persisted exactly once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { startSiteRun } from '../../src/api/runService';
import { openDatabase } from '../../src/db/dataSource';
import { startLocalPostgres, type LocalPostgres } from '../../src/stack';
import { progressQuery, type SiteAuditResult } from '../../src/workflows/contracts';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { closedRunRow, connectTestClient, startTestWorker, testConfig, uid, waitFor, type RunningWorker } from '../helpers/stack';
import { assertEveryPageOnce, pendingActivities, sleep, type Pending } from './durability.helpers';

const DOWNTIME_MS = 10_000;

let pg: LocalPostgres;
let site: SlowSite;
let workerDb: DataSource;
let checkDb: DataSource;
let worker: RunningWorker;
let client: Client;

before(async () => {
  [pg, site] = await Promise.all([startLocalPostgres({ relaxedDurability: true }), startSlowSite({ pages: 39, delayMs: 250 })]);
  checkDb = await openDatabase({ url: pg.url, migrate: true, poolSize: 2 });
  // The worker's own pool: the one that must recover by itself.
  workerDb = await openDatabase({ url: pg.url, poolSize: 5 });
});

after(async () => {
  await worker?.stop();
  await client?.connection.close();
  await workerDb?.destroy().catch(() => {});
  await checkDb?.destroy().catch(() => {});
  await pg?.dispose();
  await site?.close();
});

test('PostgreSQL stopped mid-run for 10 s: the run completes, every page persisted exactly once, no worker restart', async () => {
  const t0 = Date.now();
  // A 4 s heartbeat timeout: Temporal sends an activity's latest heartbeat at most every 0.8 × that (24 s at the
  // default 30 s), so within the 10 s outage the server sees one whatever was sent just before it.
  const config = testConfig({ DATABASE_URL: pg.url, PERSIST_RETRY_MAX_MS: '2000', AUDIT_HEARTBEAT_TIMEOUT_MS: '4000' });
  worker = await startTestWorker(config, workerDb);
  client = await connectTestClient(config);
  const started = await startSiteRun(
    { db: checkDb, client, config },
    {
      url: site.origin,
      idempotencyKey: `pgdown-${uid()}`,
      options: { auditBatchSize: 5, persistBatchSize: 5, parallelBatches: 2, perHostConcurrency: 1, fetchRetries: 0, requestTimeoutMs: 5_000, maxPages: 100 },
    },
  );
  const handle = client.workflow.getHandle(started.workflowId);

  // Mid-run: some batches persisted, most of the site still to go.
  const before = await waitFor(async () => {
    const p = await handle.query(progressQuery).catch(() => null);
    return p && p.persisted >= 5 ? p : null;
  }, 60_000, 50);
  assert.ok(before.persisted < site.paths.length - 10, `stopped mid-run (persisted ${before.persisted})`);
  await pg.stop();
  const stoppedAt = Date.now();

  // While the database is down, the crawl activities stay alive: they retry their database step and keep
  // heartbeating (no attempt fails, so no batch's retries are spent and no page becomes a failure).
  const waiting = new Map<string, Pending>();
  while (Date.now() - stoppedAt < DOWNTIME_MS) {
    for (const p of await pendingActivities(client, handle)) {
      if (p.activityType === 'crawlBatch' && p.heartbeat?.waitingForDatabase && (p.lastHeartbeatTime ?? 0) > stoppedAt) waiting.set(p.activityId, p);
    }
    await sleep(250);
  }
  await pg.start();
  const downMs = Date.now() - stoppedAt;

  const result = (await handle.result()) as SiteAuditResult;
  const elapsedMs = Date.now() - t0;

  assert.ok(waiting.size >= 1, 'a crawl activity waited for the database, heartbeating, during the outage');
  const attempts = Math.max(...[...waiting.values()].map((p) => p.attempt));
  assert.equal(worker.worker.getState(), 'RUNNING', 'the same worker (and pool) carried on');
  assert.equal(result.pagesAudited, site.paths.length);
  assert.equal(result.pagesFailed, 0);
  const row = await closedRunRow(checkDb, result.runId, 'status, audited, persisted');
  assert.equal(row.status, 'completed');
  assert.equal(row.persisted, site.paths.length);
  const { missing, duplicates } = await assertEveryPageOnce(checkDb, result.runId, site.origin, site.paths);
  // The worker's pool serves queries again without having been re-created.
  const [{ one }] = await workerDb.query('SELECT 1 AS one');
  assert.equal(one, 1);

  console.log(
    `# durability/postgres-restart: ${site.paths.length} pages, down ${downMs} ms, ${waiting.size} crawl activities waited ` +
      `(max attempt ${attempts}), missing ${missing}, duplicates ${duplicates}, ${elapsedMs} ms`,
  );
});
