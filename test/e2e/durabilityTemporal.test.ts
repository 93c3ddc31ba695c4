// Durability: the Temporal server restarts mid-run. A dev server of its own, started with a database file so its state
// survives, is stopped and started again (same port, same file) while lanes are auditing. The same worker (no restart)
// reconnects by itself, the run resumes where it was and completes with every page exactly once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { startSiteRun } from '../../src/api/runService';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/stack';
import { progressQuery, type SiteAuditResult } from '../../src/workflows/contracts';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { closedRunRow, connectTestClient, createTestDatabase, requireEnv, startTestWorker, testConfig, uid, waitFor, type RunningWorker, type TestDb } from '../helpers/stack';
import { assertEveryPageOnce } from './durability.helpers';

let dir: string;
let server: TemporalDevServer;
let site: SlowSite;
let tdb: TestDb;
let worker: RunningWorker;
let client: Client;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-temporal-restart-'));
  [server, site, tdb] = await Promise.all([
    startTemporalDevServer({ executable: requireEnv('TEMPORAL_CLI_PATH'), dbFilename: path.join(dir, 'temporal.db') }),
    startSlowSite({ pages: 39, delayMs: 200 }),
    createTestDatabase('durtemporal'),
  ]);
});

after(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
  await tdb?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('Temporal server restarted mid-run (state in its db file): the run resumes and completes, the worker reconnects', async () => {
  const t0 = Date.now();
  const config = testConfig({ TEMPORAL_ADDRESS: server.address, AUDIT_HEARTBEAT_TIMEOUT_MS: '3000', AUDIT_RETRY_INITIAL_MS: '200', PERSIST_RETRY_MAX_MS: '2000' });
  worker = await startTestWorker(config, tdb.db);
  client = await connectTestClient(config);
  const started = await startSiteRun(
    { db: tdb.db, client, config },
    {
      url: site.origin,
      idempotencyKey: `temporal-restart-${uid()}`,
      options: { auditBatchSize: 5, parallelBatches: 2, perHostConcurrency: 1, fetchRetries: 0, requestTimeoutMs: 5_000, maxPages: 100 },
    },
  );
  const handle = client.workflow.getHandle(started.workflowId);
  const mid = await waitFor(async () => {
    const p = await handle.query(progressQuery).catch(() => null);
    return p && p.persisted >= 5 ? p : null;
  }, 60_000, 50);
  assert.ok(mid.persisted < site.paths.length - 10, `restarted mid-run (persisted ${mid.persisted})`);

  const pidBefore = server.pid;
  const r0 = Date.now();
  await server.restart();
  const restartMs = Date.now() - r0;
  assert.notEqual(server.pid, pidBefore, 'a new server process');
  const requestsAtRestart = site.requests.length;

  const result = (await handle.result()) as SiteAuditResult;
  const elapsedMs = Date.now() - t0;

  assert.equal(worker.worker.getState(), 'RUNNING', 'the worker survived the server restart without being re-created');
  assert.ok(site.requests.length > requestsAtRestart, 'work went on after the restart');
  assert.equal(result.pagesAudited, site.paths.length);
  assert.equal(result.pagesFailed, 0);
  let executions = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowId = '${started.workflowId}'` })) executions++;
  assert.equal(executions, 1, 'the same execution resumed (state survived in the db file)');
  const row = await closedRunRow(tdb.db, result.runId);
  assert.equal(row.status, 'completed');
  const { missing, duplicates } = await assertEveryPageOnce(tdb.db, result.runId, site.origin, site.paths);
  console.log(
    `# durability/temporal-restart: ${site.paths.length} pages, restart took ${restartMs} ms, ` +
      `missing ${missing}, duplicates ${duplicates}, ${elapsedMs} ms`,
  );
});
