// The Temporal CLI works on the very same workflows: start with --input JSON, query progress, list by search attribute.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { connectTestClient, createTestDatabase, requireEnv, startTestWorker, testConfig, uid, waitFor, type RunningWorker, type TestDb } from '../helpers/stack';

const run = promisify(execFile);
let site: FixtureSite;
let tdb: TestDb;
let worker: RunningWorker;
let client: Client;
const config = testConfig();

before(async () => {
  site = await startFixtureSite({ slowMs: 400 });
  tdb = await createTestDatabase('cli');
  worker = await startTestWorker(config, tdb.db);
  client = await connectTestClient(config);
});

after(async () => {
  await worker?.stop();
  await client?.connection.close();
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
