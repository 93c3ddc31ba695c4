// The Temporal CLI works on the very same workflows: start with --input JSON, query progress, list by search attribute;
// a run terminated from it ends failed in the API, with the reason, instead of saying running forever.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { runCli } from '../helpers/cli';
import { apiCaller, createTestDatabase, requireEnv, startServices, testConfig, uid, waitFor, type TestDb, type TestServices } from '../helpers/stack';

const run = promisify(execFile);
let site: FixtureSite;
let tdb: TestDb;
let services: TestServices | undefined;
let client: Client;
const config = testConfig();
const call = apiCaller(() => services!.api.url);

before(async () => {
  site = await startFixtureSite({ slowMs: 400 });
  tdb = await createTestDatabase('cli');
  services = await startServices(config, tdb.db);
  client = services.client;
});

after(async () => {
  await services?.stop();
  await tdb?.close();
  await site?.close();
});

test('temporal workflow start --input, then workflow query --name progress, then list by SiteHost', async () => {
  const cli = requireEnv('TEMPORAL_CLI_PATH');
  const address = config.temporal.address!;
  const workflowId = `site-audit:127.0.0.1:cli-${uid()}`;
  const input = JSON.stringify({ siteUrl: site.origin, maxPages: 8, requestTimeoutMs: 1000, fetchRetries: 0, parallelBatches: 1, auditBatchSize: 2 });
  await run(cli, ['workflow', 'start', '--address', address, '--task-queue', config.temporal.taskQueue, '--type', 'siteAuditWorkflow', '--workflow-id', workflowId, '--input', input]);

  const progress = await waitFor(async () => {
    const { stdout } = await run(cli, ['workflow', 'query', '--address', address, '--workflow-id', workflowId, '--name', 'progress', '-o', 'json']);
    const parsed = JSON.parse(stdout);
    const value = parsed.queryResult?.[0] ?? parsed;
    return value && typeof value.discovered === 'number' && value.discovered > 0 ? value : null;
  }, 30_000, 250);
  assert.ok(['discovering', 'auditing', 'summarizing', 'completed'].includes(progress.stage));
  assert.equal(typeof progress.percent, 'number');

  const result = await client.workflow.getHandle(workflowId).result();
  assert.equal(result.pagesAudited + result.pagesFailed, 8);
  const host = new URL(site.origin).host;
  const listed = await waitFor(async () => {
    const { stdout } = await run(cli, ['workflow', 'list', '--address', address, '--query', `SiteHost = '${host}' AND AuditStage = 'completed'`, '-o', 'json']);
    return stdout.includes(workflowId) ? stdout : null;
  }, 20_000, 500);
  assert.ok(listed.includes(workflowId));
});

const runOptions = { maxPages: 100, requestTimeoutMs: 2000, fetchRetries: 0, parallelBatches: 1, auditBatchSize: 2 };

/** A run started through the API, once it has audited a page. */
async function startRun(key: string): Promise<{ runId: string; workflowId: string }> {
  const r = await call('POST', '/api/runs', { url: site.origin, idempotencyKey: `${key}-${uid()}`, options: runOptions });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await waitFor(async () => ((await call('GET', `/api/runs/${r.body.runId}`)).body.counters.audited > 0 ? true : null), 30_000, 100);
  return { runId: r.body.runId as string, workflowId: r.body.workflowId as string };
}

function terminate(workflowId: string, reason: string) {
  return run(requireEnv('TEMPORAL_CLI_PATH'), ['workflow', 'terminate', '--address', config.temporal.address!, '--workflow-id', workflowId, '--reason', reason]);
}

async function rowOf(runId: string) {
  return (await tdb.db.query(`SELECT status, updated_at FROM audit_runs WHERE id = $1`, [runId]))[0];
}

/** A run paused until its row stops changing, terminated, and made quiet (its row unchanged for a minute). */
async function terminatedQuietRun(key: string, reason: string) {
  const r = await startRun(key);
  assert.equal((await call('POST', `/api/runs/${r.runId}/pause`)).status, 202);
  // Paused with no activity left in flight: the row stops changing.
  let last = '';
  await waitFor(async () => {
    const at = String((await rowOf(r.runId)).updated_at);
    const still = at === last;
    last = at;
    return still ? true : null;
  }, 30_000, 3_000);
  await terminate(r.workflowId, reason);
  await tdb.db.query(`UPDATE audit_runs SET updated_at = now() - interval '1 minute' WHERE id = $1`, [r.runId]);
  return r;
}

test('a run terminated with `temporal workflow terminate` ends failed with the reason: its view, the list, cancel', async () => {
  // Terminated mid-crawl: no activity of the run's own writes its end, so its view asks Temporal how it closed.
  const a = await startRun('terminate-view');
  await terminate(a.workflowId, 'operator stop: wrong site');
  assert.equal((await client.workflow.getHandle(a.workflowId).describe()).status.name, 'TERMINATED');
  assert.equal((await rowOf(a.runId)).status, 'running', 'nothing has written the row yet');
  const view = (await call('GET', `/api/runs/${a.runId}`)).body;
  assert.equal(view.status, 'failed', JSON.stringify(view));
  assert.equal(view.stage, 'failed');
  assert.match(view.error, /^terminated in Temporal by .+: operator stop: wrong site$/);
  assert.ok(view.finishedAt, 'a finish time');
  assert.equal(view.waitingForWorker, false);
  assert.equal((await rowOf(a.runId)).status, 'failed', 'written to its row');
  const cancel = await call('POST', `/api/runs/${a.runId}/cancel`);
  assert.equal(cancel.status, 409, JSON.stringify(cancel.body));

  // Terminated while paused, then quiet (as a row is after its workflow closed): the list settles it before showing it.
  const b = await terminatedQuietRun('terminate-list', 'operator stop: paused too long');
  // The list checks quiet rows before it answers (waiting up to 0.5 s for Temporal; a slower check lands for the next).
  await waitFor(async () => {
    const running = (await call('GET', '/api/runs?status=running')).body.items.map((r: { runId: string }) => r.runId);
    return running.includes(b.runId) ? null : true;
  }, 10_000, 200);
  const listed = (await call('GET', '/api/runs')).body.items.find((r: { runId: string }) => r.runId === b.runId);
  assert.equal(listed.status, 'failed');
  assert.match(listed.error, /: operator stop: paused too long$/);
});

test('`sitesweep runs` with a configured Temporal settles a terminated quiet run before it lists it', async () => {
  const r = await terminatedQuietRun('terminate-cli-list', 'operator stop: from the CLI list');
  assert.equal((await rowOf(r.runId)).status, 'running', 'nothing has written the row yet');
  const env = { DATABASE_URL: tdb.url, TEMPORAL_ADDRESS: config.temporal.address!, TEMPORAL_TASK_QUEUE: config.temporal.taskQueue };
  const listed = await runCli(['runs', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const item = JSON.parse(listed.stdout).items.find((i: { runId: string }) => i.runId === r.runId);
  // The check may outlast the list's 0.5 s wait; the command then waits up to 1.5 s more for it to write the row.
  assert.ok(item, listed.stdout);
  assert.equal((await rowOf(r.runId)).status, 'failed', 'written to its row before the command exited');
  const again = JSON.parse((await runCli(['runs', '--json'], env)).stdout).items.find((i: { runId: string }) => i.runId === r.runId);
  assert.equal(again.status, 'failed');
  assert.match(again.error, /: operator stop: from the CLI list$/);
});

test('a batch terminated with `temporal workflow terminate` ends failed with the reason, its open domain cancelled', async () => {
  const started = await call('POST', '/api/batches', { domains: [site.origin], idempotencyKey: `terminate-${uid()}`, options: runOptions });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const { batchId, workflowId } = started.body;
  const domain = `${site.origin}/`;
  // Its one domain's run is crawling.
  await waitFor(async () => {
    const [r] = await tdb.db.query(`SELECT audited FROM audit_runs WHERE batch_id = $1`, [batchId]);
    return r && r.audited > 0 ? true : null;
  }, 30_000, 100);
  await terminate(workflowId, 'operator stop: batch');

  const view = (await call('GET', `/api/batches/${batchId}`)).body;
  assert.equal(view.status, 'failed', JSON.stringify(view));
  assert.match(view.error, /^terminated in Temporal by .+: operator stop: batch$/);
  assert.equal(view.domainStatuses[domain].status, 'cancelled', JSON.stringify(view.domainStatuses));
  assert.ok(view.endTime, 'an end time');
  const listed = (await call('GET', '/api/batches')).body.items.find((b: { batchId: string }) => b.batchId === batchId);
  assert.equal(listed.status, 'failed');
  assert.equal((await call('POST', `/api/batches/${batchId}/cancel`)).status, 409);
  // The parent's close asked its child to cancel: the domain's run ends cancelled by its own code.
  const child = await waitFor(async () => {
    const [r] = await tdb.db.query(`SELECT status FROM audit_runs WHERE batch_id = $1`, [batchId]);
    return r.status === 'cancelled' ? r : null;
  }, 30_000, 200);
  assert.equal(child.status, 'cancelled');
});
