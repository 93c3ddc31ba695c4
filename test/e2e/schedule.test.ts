// The nightly schedule end to end: PUT /api/schedule creates (then idempotently replaces) a real Temporal Schedule,
// one manual trigger runs nightlyWorkflow, which audits a local fixture site as a batch and then runs an AI
// recommendations job for the finished run against the fake Anthropic batch API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nightlyScheduleId } from '../../src/ai/schedule';
import type { AiJobResult } from '../../src/workflows/aiContracts';
import { startFakeAnthropic, type FakeProvider } from '../fixtures/fakeProviders';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { apiCaller, createTestDatabase, startServices, startTestApi, testConfig, waitFor, type TestDb, type TestServices } from '../helpers/stack';

describe('nightly schedule', () => {
  let anthropic: FakeProvider;
  let site: FixtureSite;
  let tdb: TestDb;
  let services: TestServices;
  let config: ReturnType<typeof testConfig>;

  before(async () => {
    [anthropic, site] = await Promise.all([startFakeAnthropic(), startFixtureSite()]);
    anthropic.controls.pollsBeforeEnd = 1;
    tdb = await createTestDatabase('sched');
    config = testConfig({
      ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: anthropic.url,
      AI_POLL_INTERVAL_MS: '150', AI_POLL_MAX_INTERVAL_MS: '300', AI_POLL_MAX_MS: '60000',
    });
    services = await startServices(config, tdb.db);
  });

  after(async () => {
    await services?.client.schedule.getHandle(nightlyScheduleId(config)).delete().catch(() => {});
    await services?.stop();
    await Promise.all([anthropic?.close(), site?.close()]);
    await tdb?.close();
  });

  test('PUT validates: bad cron, reversed range, no key for the model', async () => {
    const call = apiCaller(() => services.api.url);
    const badCron = await call('PUT', '/api/schedule', { sites: [site.origin], cron: '0 2 * *' });
    assert.equal(badCron.status, 400);
    assert.match(badCron.body.error.message, /^cron: /);
    // Temporal refuses reversed ranges; the schema refuses ranges (lists instead), so nothing reaches Temporal.
    assert.equal((await call('PUT', '/api/schedule', { sites: [site.origin], cron: '0 2 * * 5-1' })).status, 400);
    const noKeyConfig = testConfig({ ANTHROPIC_API_KEY: '' });
    const noKey = await startTestApi(noKeyConfig, tdb.db, services.client);
    try {
      const r = await apiCaller(() => noKey.url)('PUT', '/api/schedule', { sites: [site.origin], model: 'claude-haiku-4-5' });
      assert.equal(r.status, 400);
      assert.match(r.body.error.message, /ANTHROPIC_API_KEY/);
    } finally {
      await noKey.close();
    }
    assert.equal((await call('GET', '/api/schedule')).status, 404);
  });

  test('created idempotently, triggered once: an audit batch and a recommendations job complete', { timeout: 120_000 }, async () => {
    const call = apiCaller(() => services.api.url);
    // Once a year at 03:00 on 1 January: it never fires by itself during the test.
    const body = { sites: [site.origin], cron: '0 3 1 1 *', model: 'claude-haiku-4-5', maxPages: 5 };
    const created = await call('PUT', '/api/schedule', { ...body, cron: '0 4 1 1 *' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.scheduleId, nightlyScheduleId(config));
    assert.equal(created.body.cron, '0 4 1 1 *');
    const replaced = await call('PUT', '/api/schedule', body);
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    const got = await call('GET', '/api/schedule');
    assert.equal(got.status, 200);
    assert.equal(got.body.cron, '0 3 1 1 *');
    assert.deepEqual(got.body.sites, [`${site.origin}/`]);
    assert.equal(got.body.model, 'claude-haiku-4-5');
    assert.deepEqual(got.body.options, { maxPages: 5 });
    assert.ok(got.body.nextActionTimes[0].includes('-01-01T03:00:00'), got.body.nextActionTimes[0]);
    const listed: string[] = [];
    for await (const s of services.client.schedule.list()) if (s.scheduleId.startsWith('sitesweep-nightly')) listed.push(s.scheduleId);
    assert.equal(listed.filter((id) => id === nightlyScheduleId(config)).length, 1, 'one schedule after two PUTs');

    const handle = services.client.schedule.getHandle(nightlyScheduleId(config));
    const createdBefore = anthropic.created();
    await handle.trigger();
    const workflowId = await waitFor(async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId, 30_000, 100);
    const night = await services.client.workflow.getHandle(workflowId).result() as { batchId: string; runs: number; jobs: AiJobResult[] };
    assert.equal(night.runs, 1);
    // The batch's closer writes its final status just after the batch's workflow has closed.
    const batch = await waitFor(async () => {
      const [b] = await tdb.db.query(`SELECT status, completed_domains FROM audit_batches WHERE id = $1`, [night.batchId]);
      return b?.status === 'running' ? null : b;
    }, 15_000, 50);
    assert.deepEqual({ ...batch }, { status: 'completed', completed_domains: 1 });
    const [run] = await tdb.db.query(`SELECT id, status, audited FROM audit_runs WHERE batch_id = $1`, [night.batchId]);
    assert.equal(run.status, 'completed');
    assert.ok(run.audited > 0);
    assert.equal(night.jobs.length, 1);
    const job = night.jobs[0];
    assert.equal(job.status, 'completed', job.error ?? '');
    assert.ok(job.total > 0 && job.succeeded === job.total, `${job.succeeded}/${job.total} succeeded`);
    assert.equal(anthropic.created() - createdBefore, 1);
    const recs = await call('GET', `/api/runs/${run.id}/recommendations`);
    assert.equal(recs.status, 200);
    assert.equal(recs.body.status, 'completed');
    assert.ok(recs.body.items[0].suggestion.suggestedTitle);
  });
});
