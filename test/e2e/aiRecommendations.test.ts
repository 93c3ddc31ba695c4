// AI recommendations end to end against local fakes of the Anthropic and Gemini batch APIs (the official SDKs pointed
// at them): real Temporal dev server, real PostgreSQL, in-process or separate-process workers.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { aiJobWorkflowId, type AiJobInput, type AiJobResult } from '../../src/workflows/aiContracts';
import { startFakeAnthropic, startFakeGemini, type FakeProvider, type Outcome } from '../fixtures/fakeProviders';
import { apiCaller, startServices, testConfig, createTestDatabase, connectTestClient, uid, waitFor, type TestDb, type TestServices } from '../helpers/stack';
import { spawnWorkerProcess } from '../helpers/workerProcess';

const PAGES = 8;
const FAST_POLL = { pollIntervalMs: 150, pollMaxIntervalMs: 400, pollMaxMs: 60_000 };
// Page i's outcome: a mix of every kind, the same for both providers.
const MIX: Outcome[] = ['succeeded', 'errored', 'succeeded', 'expired', 'invalid', 'succeeded', 'succeeded', 'errored'];
const mixed = (_id: string, i: number) => MIX[i % MIX.length];

async function seedRun(tdb: TestDb): Promise<string> {
  const runId = randomUUID();
  await tdb.db.query(
    `INSERT INTO audit_runs (id, workflow_id, run_key, site_url, site_host, status, stage, finished_at)
     VALUES ($1, $2, 'k', 'http://127.0.0.1/', '127.0.0.1', 'completed', 'done', now())`,
    [runId, `seed-${runId}`],
  );
  const pages = Array.from({ length: PAGES + 2 }, (_, i) => ({
    url: `http://127.0.0.1/p${i}`,
    // Two pages have nothing to fix and one is failed: not collected.
    status: i === PAGES + 1 ? 'failed' : 'ok',
    issues: i === PAGES ? [] : [{ code: 'title_too_short', severity: 'warning', detail: '12 chars' }, { code: 'missing_description', severity: 'critical' }],
  }));
  for (const [i, p] of pages.entries()) {
    await tdb.db.query(
      `INSERT INTO page_audits (run_id, url_hash, url, status, title, word_count, issues) VALUES ($1, $2, $3, $4, 'Hi', 120, $5)`,
      [runId, `h${i}`, p.url, p.status, JSON.stringify(p.issues)],
    );
  }
  return runId;
}

// One test at a time: they share the fakes' fault controls.
describe('AI recommendations through batch APIs', { concurrency: 1 }, () => {
  let anthropic: FakeProvider;
  let gemini: FakeProvider;
  let tdb: TestDb;
  let services: TestServices;
  let client: Client;
  let config: ReturnType<typeof testConfig>;
  let runId: string;
  let aiEnv: Record<string, string>;

  before(async () => {
    [anthropic, gemini] = await Promise.all([startFakeAnthropic(), startFakeGemini()]);
    tdb = await createTestDatabase('ai');
    aiEnv = { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: anthropic.url, GEMINI_API_KEY: 'gm-test', GEMINI_BASE_URL: gemini.url };
    config = testConfig(aiEnv);
    services = await startServices(config, tdb.db);
    client = services.client;
    runId = await seedRun(tdb);
  });

  after(async () => {
    await services?.stop();
    await Promise.all([anthropic?.close(), gemini?.close()]);
    await tdb?.close();
  });

  const start = (model: string, extra: Partial<AiJobInput> = {}, taskQueue = config.temporal.taskQueue) => {
    const jobId = uid();
    return client.workflow.start('aiRecommendationsWorkflow', {
      taskQueue, workflowId: aiJobWorkflowId(jobId), args: [{ jobId, runId, model, ...FAST_POLL, ...extra } satisfies AiJobInput],
    }).then((h) => ({ h, jobId }));
  };
  const jobRow = async (jobId: string) => (await tdb.db.query(`SELECT * FROM ai_batch_jobs WHERE id = $1`, [jobId]))[0];
  /** The job's row once its closer has written the final status (just after the workflow closed). */
  const closedJobRow = (jobId: string) => waitFor(async () => {
    const row = await jobRow(jobId);
    return ['completed', 'failed', 'cancelled'].includes(row?.status) ? row : null;
  }, 15_000, 50);

  test('anthropic: 429 then a lost create response (adopted), 529 while polling, mixed shuffled results', async () => {
    const before = anthropic.created();
    anthropic.controls.pollsBeforeEnd = 3;
    anthropic.controls.outcome = mixed;
    anthropic.controls.createFaults = [{ status: 429, retryAfterS: 1 }, 'lose-response'];
    anthropic.controls.getFaults = [{ status: 529 }];
    const { h, jobId } = await start('claude-haiku-4-5');
    const r: AiJobResult = await h.result();
    assert.equal(r.status, 'completed', r.error ?? '');
    assert.equal(anthropic.created() - before, 1, 'one provider batch despite the lost response');
    assert.equal(r.total, PAGES);
    // succeeded ×4 (one of which is invalid JSON → errored), errored ×2, expired ×1.
    assert.deepEqual({ s: r.succeeded, e: r.errored, x: r.expired }, { s: 4, e: 3, x: 1 });
    assert.ok(r.polls >= 4, `polled ${r.polls} times`);
    const row = await closedJobRow(jobId);
    assert.equal(row.status, 'completed');
    assert.equal(row.provider, 'anthropic');
    // Written by the job's closer, a child started just before the close that waits for it.
    assert.equal(await client.workflow.getHandle(`close-ai-job:${h.workflowId}:${h.firstExecutionRunId}`).result(), 'completed');
    assert.equal(row.metadata.adopted, true);
    assert.ok(row.submitted_at && row.completed_at && row.estimated_cost_usd > 0);
    const items = await tdb.db.query(`SELECT custom_id, status, result, error FROM ai_batch_items WHERE job_id = $1 ORDER BY id`, [jobId]);
    assert.equal(items.length, PAGES);
    assert.match(items[0].result.suggestedTitle, new RegExp(items[0].custom_id));
    assert.equal(items[0].result.fixes[0].priority, 1, 'fixes sorted by priority');
    assert.match(items[4].error, /not JSON/);
    assert.equal(items[3].status, 'expired');
    const desc = await h.describe();
    assert.deepEqual(desc.searchAttributes.AiJobStatus, ['completed']);
    // The key never reaches history.
    assert.ok(!JSON.stringify(await h.fetchHistory()).includes('sk-ant-test'));
  });

  test('gemini: 503 on create, in progress for several polls, mixed results by metadata key', async () => {
    const before = gemini.created();
    gemini.controls.pollsBeforeEnd = 3;
    gemini.controls.outcome = mixed;
    gemini.controls.createFaults = [{ status: 503 }, 'lose-response'];
    const { h, jobId } = await start('gemini-2.5-flash');
    const r = await h.result();
    assert.equal(r.status, 'completed', r.error ?? '');
    assert.equal(gemini.created() - before, 1, 'adopted by display name, not created twice');
    assert.deepEqual({ s: r.succeeded, e: r.errored, x: r.expired }, { s: 4, e: 3, x: 1 });
    assert.equal((await jobRow(jobId)).provider, 'gemini');
  });

  test('a job larger than one provider batch (3 requests a batch here) becomes 3 batches, all results saved', async () => {
    // A worker whose limits are lowered to 3 requests a batch; 8 pages → parts of 3, 3 and 2.
    const small = testConfig({ ...aiEnv, AI_BATCH_MAX_REQUESTS: '3' });
    const worker = await startServices(small, tdb.db);
    try {
      const before = anthropic.created();
      anthropic.controls.pollsBeforeEnd = 2;
      anthropic.controls.outcome = () => 'succeeded';
      // The second part's create is accepted but its response lost: adopted (by its request count), not created twice.
      anthropic.controls.createFaults = [undefined as never, 'lose-response'];
      const { h, jobId } = await start('claude-haiku-4-5', {}, small.temporal.taskQueue);
      const r: AiJobResult = await h.result();
      assert.equal(r.status, 'completed', r.error ?? '');
      assert.equal(r.providerBatches, 3);
      assert.equal(anthropic.created() - before, 3, 'three provider batches');
      assert.deepEqual({ total: r.total, s: r.succeeded, e: r.errored, x: r.expired }, { total: PAGES, s: PAGES, e: 0, x: 0 });
      const parts = await tdb.db.query(`SELECT part, request_count, provider_batch_id, state FROM ai_provider_batches WHERE job_id = $1 ORDER BY part`, [jobId]);
      assert.deepEqual(parts.map((p: any) => [p.part, p.request_count, p.state]), [[0, 3, 'ended'], [1, 3, 'ended'], [2, 2, 'ended']]);
      assert.equal(new Set(parts.map((p: any) => p.provider_batch_id)).size, 3);
      const row = await jobRow(jobId);
      assert.equal(row.provider_batch_id, parts[0].provider_batch_id);
      assert.equal(row.succeeded, PAGES);
      assert.equal(row.metadata.adopted, true);
      const items = await tdb.db.query(`SELECT custom_id, part, status, result FROM ai_batch_items WHERE job_id = $1 ORDER BY id`, [jobId]);
      assert.deepEqual(items.map((i: any) => i.part), [0, 0, 0, 1, 1, 1, 2, 2]);
      for (const i of items) assert.match(i.result.suggestedTitle, new RegExp(i.custom_id), 'each answer saved on its own page');
    } finally {
      await worker.stop();
    }
  });

  test('a rejected request (401) fails the job with a clear reason; an unknown model too', async () => {
    const bad = testConfig({ ...aiEnv, ANTHROPIC_API_KEY: 'wrong' });
    const worker = await startServices(bad, tdb.db);
    try {
      const { h, jobId } = await start('claude-sonnet-4-5', {}, bad.temporal.taskQueue);
      const r = await h.result();
      assert.equal(r.status, 'failed');
      assert.match(r.error!, /anthropic answered 401/);
      const failed = await closedJobRow(jobId);
      assert.equal(failed.status, 'failed');
      assert.match(failed.metadata.error, /401/);
    } finally {
      await worker.stop();
    }
  });

  test('cancelling the workflow cancels the provider batch', async () => {
    anthropic.controls.pollsBeforeEnd = 10_000;
    anthropic.controls.outcome = () => 'succeeded';
    const cancelledBefore = anthropic.cancelled();
    const { h, jobId } = await start('claude-haiku-4-5');
    await waitFor(async () => (await jobRow(jobId))?.status === 'processing', 30_000, 100);
    await h.cancel();
    await assert.rejects(h.result());
    assert.equal(anthropic.cancelled() - cancelledBefore, 1);
    // The job's closer, started just before the workflow rethrew the cancellation, writes the status after the close.
    assert.equal(await h.client.getHandle(`close-ai-job:${h.workflowId}:${h.firstExecutionRunId}`).result(), 'cancelled');
    const row = await closedJobRow(jobId);
    assert.equal(row.status, 'cancelled');
    assert.equal(row.canceled, PAGES);
  });

  test('a job terminated in Temporal ends failed with the reason when the API reads it', async () => {
    anthropic.controls.pollsBeforeEnd = 10_000;
    anthropic.controls.outcome = () => 'succeeded';
    const { h, jobId } = await start('claude-haiku-4-5');
    await waitFor(async () => (await jobRow(jobId))?.status === 'processing', 30_000, 100);
    await h.terminate('operator stop: ai');
    assert.equal((await jobRow(jobId)).status, 'processing', 'no code of the job ran to write its end');
    const call = apiCaller(() => services.api.url);
    const view = await call('GET', `/api/runs/${runId}/recommendations?jobId=${jobId}`);
    assert.equal(view.status, 200);
    assert.equal(view.body.status, 'failed', JSON.stringify(view.body));
    assert.match(view.body.error, /^terminated in Temporal by .+: operator stop: ai$/);
    assert.ok(view.body.completedAt);
    assert.equal((await jobRow(jobId)).status, 'failed');
  });

  test('API: dry run, unknown model, missing key, start and read suggestions', async () => {
    const call = apiCaller(() => services.api.url);
    const dry = await call('POST', `/api/runs/${runId}/recommendations`, { model: 'claude-haiku-4-5', dryRun: true, maxPages: 5 });
    assert.equal(dry.status, 200);
    assert.equal(dry.body.pages, 5);
    assert.ok(dry.body.estimatedInputTokens > 0 && dry.body.estimatedCostUsd > 0);
    const unknown = await call('POST', `/api/runs/${runId}/recommendations`, { model: 'gpt-5' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /model/);
    const noKeyCfg = testConfig({ ANTHROPIC_API_KEY: '' });
    const noKey = await startServices(noKeyCfg, tdb.db);
    try {
      const r = await apiCaller(() => noKey.api.url)('POST', `/api/runs/${runId}/recommendations`, { model: 'claude-haiku-4-5' });
      assert.equal(r.status, 400);
      assert.match(r.body.error.message, /ANTHROPIC_API_KEY/);
    } finally {
      await noKey.stop();
    }
    anthropic.controls.pollsBeforeEnd = 0;
    anthropic.controls.outcome = () => 'succeeded';
    const started = await call('POST', `/api/runs/${runId}/recommendations`, { model: 'claude-haiku-4-5', maxPages: 3 });
    assert.equal(started.status, 202);
    await client.workflow.getHandle(started.body.workflowId).result();
    const page1 = await call('GET', `/api/runs/${runId}/recommendations?limit=2`);
    assert.equal(page1.status, 200);
    assert.equal(page1.body.status, 'completed');
    assert.equal(page1.body.counts.succeeded, 3);
    assert.equal(page1.body.items.length, 2);
    assert.ok(page1.body.items[0].suggestion.suggestedTitle);
    const page2 = await call('GET', `/api/runs/${runId}/recommendations?limit=2&cursor=${page1.body.nextCursor}`);
    assert.equal(page2.body.items.length, 1);
    assert.equal(page2.body.nextCursor, null);
  });

  test('polling survives a worker restart (kill -9 during polling)', async () => {
    gemini.controls.pollsBeforeEnd = 12;
    gemini.controls.outcome = () => 'succeeded';
    const taskQueue = `ai-kill-${uid()}`;
    const env = {
      ...aiEnv, DATABASE_URL: tdb.url, DATABASE_POOL_SIZE: '3', TEMPORAL_ADDRESS: config.temporal.address, TEMPORAL_TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE_PATH: config.worker.bundlePath, LOG_LEVEL: 'warn',
    };
    const first = await spawnWorkerProcess(env, `ai-a-${uid()}`);
    const c2 = await connectTestClient(config);
    try {
      const { h } = await start('gemini-2.5-flash', { pollIntervalMs: 300, pollMaxIntervalMs: 300 }, taskQueue);
      const pollsBefore = gemini.polls();
      await waitFor(async () => gemini.polls() - pollsBefore >= 3, 30_000, 50);
      await first.kill9();
      const second = await spawnWorkerProcess(env, `ai-b-${uid()}`);
      try {
        const r = await h.result();
        assert.equal(r.status, 'completed', r.error ?? '');
        assert.equal(r.succeeded, PAGES);
        // Polling went on after the restart until the provider's 13th answer; the workflow counts the polls it got an
        // answer for, so one lost with the killed worker may be missing from its count.
        assert.ok(r.polls >= 12, `${r.polls} polls counted`);
      } finally {
        await second.stop();
      }
    } finally {
      await first.kill9();
      await c2.connection.close();
    }
  });
});
