// Pause/resume and cancellation of siteAuditWorkflow with mocked activities.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { pauseSignal, progressQuery, resumeSignal, type ProgressView, type SiteAuditResult } from '../../src/workflows/contracts';
import { FakeFrontier, fanOut, gate, mockActivities, startMockWorker, type MockWorkerEnv } from './mockActivities';

const envs: MockWorkerEnv[] = [];
const gates: Array<() => void> = [];
after(async () => {
  for (const open of gates) open();
  for (const e of envs) await e.close();
});

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await delay(20);
  }
  throw new Error('condition not reached in 10 s');
}

test('pause: the batch in flight finishes, no new batch starts until resume, then the run completes', async () => {
  const graph = fanOut(6);
  const frontier = new FakeFrontier(graph);
  const first = gate();
  gates.push(first.open);
  const { activities, calls } = mockActivities(frontier, graph, {
    onCrawl: async () => {
      if (calls.crawl.length === 1) await first.promise;
    },
  });
  const env = await startMockWorker(activities);
  envs.push(env);
  const handle = await env.start({ auditBatchSize: 2, parallelBatches: 1 });
  await until(() => calls.crawl.length, (n) => n === 1);
  await handle.signal(pauseSignal);
  assert.equal((await handle.query(progressQuery)).paused, true);
  first.open();
  // The first batch's counts reach the workflow; the lane then waits on the pause.
  const p = await until(() => handle.query(progressQuery), (v: ProgressView) => v.audited === 1);
  assert.equal(p.stage, 'auditing');
  await delay(500);
  assert.equal(calls.crawl.length, 1, 'no batch starts while paused');
  assert.equal((await handle.query(progressQuery)).paused, true);

  await handle.signal(resumeSignal);
  const result = (await handle.result()) as SiteAuditResult;
  assert.equal(result.pagesAudited, 6);
  assert.equal((await handle.query(progressQuery)).paused, false);
});

test('cancel during a batch: the run ends cancelled, its stage is written, nothing is summarized', async () => {
  const graph = fanOut(6);
  const frontier = new FakeFrontier(graph);
  const hold = gate();
  gates.push(hold.open);
  const { activities, calls } = mockActivities(frontier, graph, { onCrawl: () => hold.promise });
  const env = await startMockWorker(activities);
  envs.push(env);
  const handle = await env.start();
  await until(() => calls.crawl.length, (n) => n >= 1);
  await handle.cancel();
  await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
  assert.equal(calls.stages.at(-1), 'cancelled');
  assert.equal(calls.summarize, 0);
  assert.ok(!calls.events.includes('run.failed'), 'a cancelled run is not reported as failed');
  const desc = await handle.describe();
  assert.equal(desc.status.name, 'CANCELLED');
  // The row says cancelled once the workflow has closed: its closer, a child started just before the close, writes it.
  await env.client.workflow.getHandle(`close-run:${handle.workflowId}:${desc.runId}`).result();
  assert.deepEqual(calls.closed, [{ runId: 'run-1', workflowId: handle.workflowId, temporalRunId: desc.runId, executionId: desc.runId }]);
});

test('cancel while paused: the waiting lanes stop and the run ends cancelled', async () => {
  const graph = fanOut(6);
  const frontier = new FakeFrontier(graph);
  const { activities, calls } = mockActivities(frontier, graph);
  const env = await startMockWorker(activities);
  envs.push(env);
  // Paused from its first moment (signal-with-start): no batch ever runs.
  const handle = await env.client.workflow.signalWithStart('siteAuditWorkflow', {
    taskQueue: env.taskQueue,
    workflowId: `site-audit:mock:paused-${Date.now()}`,
    args: [{ siteUrl: 'https://mock.example' }],
    signal: pauseSignal,
  });
  await until(() => handle.query(progressQuery), (v: ProgressView) => v.stage === 'auditing' && v.paused);
  await handle.cancel();
  await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
  assert.equal(calls.crawl.length, 0);
  assert.deepEqual(calls.stages, ['auditing', 'cancelled']);
});
