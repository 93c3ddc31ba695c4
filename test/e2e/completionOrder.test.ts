// A run's row says completed only once its workflow has completed in Temporal (issue 9), and failed or cancelled only
// once it has closed so. Summarize leaves the row running with its summary (a failing or cancelled run, with its stage);
// the run's closer, a child workflow started just before the close, writes the status after it; a reader that finds
// such a row asks Temporal itself. Real Temporal and PostgreSQL, the real closer activity and
// row store; the crawl is mocked (test/workflows/mockActivities.ts) and summarize is held until the test lets it go,
// which opens the moment between "summarized" and "closed" that a real run passes through in milliseconds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAiActivities } from '../../src/activities/ai';
import { createBatchActivities } from '../../src/activities/batches';
import { createRunActivities } from '../../src/activities/runs';
import type { InitRunInput, SetStageInput } from '../../src/activities/types';
import { getRunView, listRuns } from '../../src/api/runService';
import * as aiJobs from '../../src/db/repositories/aiJobs';
import * as runStatus from '../../src/db/runStatusStore';
import { createLogger } from '../../src/logger';
import { executionClose } from '../../src/temporal/closedExecution';
import { closerClosed } from '../../src/temporal/workflowClosed';
import { closedRunRow, createTestDatabase, testConfig, type TestDb } from '../helpers/stack';
import { FakeFrontier, SITE, fanOut, gate, mockActivities, startMockWorker, type MockWorkerEnv } from '../workflows/mockActivities';

let tdb: TestDb;
const envs: MockWorkerEnv[] = [];
/** Held activities, let go before the workers stop (a failed assertion must not leave one holding its worker). */
const holds: Array<() => void> = [];
/** A gate let go when the file's tests end, whatever they did. */
function heldGate() {
  const g = gate();
  holds.push(g.open);
  return g;
}

/** A closer activity that waits until `open` (or the file's end), then answers `status` without writing the row. */
function heldCloser(status: string) {
  const held = heldGate();
  return { closer: async () => { await held.promise; return status; }, open: held.open };
}
before(async () => {
  tdb = await createTestDatabase('closer');
});
after(async () => {
  for (const open of holds) open();
  for (const e of envs) await e.close();
  await tdb?.close();
});

type MockedActivities = ReturnType<typeof mockActivities>['activities'];

/**
 * Starts a mocked run (test/workflows/mockActivities.ts, the `hooks` given) whose row is real: initRun inserts it, and
 * the closer is the real closer activity or `closer`. `adapt` replaces activities; it gets the row's id by a function.
 */
async function runWithRealRow(
  adapt: (activities: MockedActivities, rowId: () => string) => void,
  closer?: (input: unknown) => Promise<string>,
  hooks: Parameters<typeof mockActivities>[2] = {},
) {
  const graph = fanOut(3);
  const { activities } = mockActivities(new FakeFrontier(graph), graph, hooks);
  let rowId = '';
  const temporal: { client?: Client } = {};
  activities.initRun = (async (input: InitRunInput) => {
    rowId ||= await runStatus.insertRunning(tdb.db, {
      workflowId: input.workflowId, runKey: input.runKey, siteUrl: SITE, siteHost: 'mock.example', options: {}, executionId: input.executionId,
    });
    return rowId;
  }) as MockedActivities['initRun'];
  adapt(activities, () => rowId);
  const real = createRunActivities({ db: tdb.db, executionClose: (workflowId, runId) => executionClose(temporal.client!, workflowId, runId) });
  activities.confirmRunClosed = (closer ?? real.confirmRunClosed) as typeof activities.confirmRunClosed;
  const env = await startMockWorker(activities);
  envs.push(env);
  temporal.client = env.client;
  const handle = await env.start();
  const deps = { db: tdb.db, client: env.client, config: testConfig({ TEMPORAL_TASK_QUEUE: env.taskQueue }) };
  const closerHandle = () => env.client.workflow.getHandle(`close-run:${handle.workflowId}:${handle.firstExecutionRunId}`);
  return { handle, rowId: () => rowId, deps, closerHandle };
}

/**
 * A mocked run whose row is real, held after summarize has stored the summary through the real store, until `release`.
 * `closer`: the real closer activity, or a replacement.
 */
async function heldRun(closer?: (input: unknown) => Promise<string>) {
  const summarized = gate();
  const release = heldGate();
  const run = await runWithRealRow((activities, rowId) => {
    const summarize = activities.summarize;
    activities.summarize = async () => {
      const s = await summarize();
      await runStatus.markSummarized(tdb.db, rowId(), s, { audited: s.pagesAudited, failed: s.pagesFailed });
      summarized.open();
      await release.promise;
      return s;
    };
  }, closer);
  await summarized.promise;
  const rowId = run.rowId();
  const row = async () => (await tdb.db.query(`SELECT status, stage, error, summary IS NOT NULL AS summarized FROM audit_runs WHERE id = $1`, [rowId]))[0];
  return { ...run, rowId, row, release: release.open };
}

test('summarized, the row stays running until the workflow has completed; its closer then writes completed', async () => {
  const run = await heldRun();
  // Summarize has stored everything, but the workflow is still open: nothing may say completed yet.
  assert.deepEqual(await run.row(), { status: 'running', stage: 'summarizing', error: null, summarized: true });
  const view = await getRunView(run.deps, run.rowId);
  assert.equal(view.status, 'running', 'the API view asks Temporal, which says running');
  const listed = await listRuns(run.deps, { limit: 10 });
  assert.equal(listed.items.find((r) => r.runId === run.rowId)?.status, 'running');
  assert.equal((await run.handle.describe()).status.name, 'RUNNING');
  assert.deepEqual(await run.row(), { status: 'running', stage: 'summarizing', error: null, summarized: true });

  run.release();
  await run.handle.result();
  assert.equal(await run.closerHandle().result(), 'completed', 'the closer saw the workflow complete');
  assert.deepEqual({ ...(await closedRunRow(tdb.db, run.rowId, 'status, stage, error')) }, { status: 'completed', stage: 'completed', error: null });
});

/** A held run let go to complete, whose closer has started and is held until `openCloser`. */
async function completedWithHeldCloser() {
  const closerHeld = heldCloser('completed');
  const run = await heldRun(closerHeld.closer);
  run.release();
  await run.handle.result();
  await run.closerHandle().describe(); // started, and held
  return { run, openCloser: closerHeld.open };
}

test('a reader completes a summarized row whose workflow has completed before its closer did', async () => {
  const { run, openCloser } = await completedWithHeldCloser();
  assert.equal((await run.row()).status, 'running', 'the closer has not written the row');
  const view = await getRunView(run.deps, run.rowId);
  assert.equal(view.status, 'completed');
  assert.equal(view.stage, 'completed');
  assert.equal((await run.row()).status, 'completed', 'the view wrote what Temporal said');
  openCloser();
});

/**
 * Terminates a held run before it reached its closer: the view ends its row failed with Temporal's reason (the rest of
 * the row as `rest`), and no closer was started.
 */
async function endsFailedWhenTerminated(run: Awaited<ReturnType<typeof heldRun | typeof endingRun>>, reason: string, rest: Record<string, unknown>) {
  await run.handle.terminate(reason);
  const view = await getRunView(run.deps, run.rowId);
  assert.equal(view.status, 'failed');
  assert.match(view.error ?? '', new RegExp(`^terminated in Temporal by .*: ${reason}$`));
  assert.deepEqual(await run.row(), { status: 'failed', stage: 'failed', error: view.error, ...rest });
  await assert.rejects(run.closerHandle().describe(), /not found/i, 'the workflow never reached its closer');
  run.release();
}

test('terminated between summarize and its close, the run ends failed with the reason, never completed', async () => {
  await endsFailedWhenTerminated(await heldRun(), 'wrong site', { summarized: true });
});

/**
 * A closer activity against a held run: the row, finished but for its status (`open`), keeps it while the run's
 * execution is open, and says `final` once it has closed (`closedAs`).
 */
async function closesAfterTheRun(
  run: { release: () => void }, row: () => Promise<unknown>, open: unknown, final: unknown, closer: () => Promise<string>, closedAs = 'completed',
) {
  assert.deepEqual(await row(), open, 'finished but for its status');
  const closing = closer();
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await row(), open, 'not while the workflow is open');
  run.release();
  assert.equal(await closing, closedAs);
  assert.deepEqual(await row(), final);
}

/** A held execution a batch's or AI job's closer can wait on (heldRun or endingRun). */
type HeldExecution = Pick<Awaited<ReturnType<typeof heldRun>>, 'handle' | 'rowId' | 'deps' | 'release'>;

/**
 * A batch on `run`'s execution, finished but for its status (`status`, `error`): its finish result, its row (`columns`)
 * and its closer activity.
 */
async function finishedBatchOn(run: HeldExecution, status: 'completed' | 'failed', error: string | null, columns: string) {
  const batchId = randomUUID();
  const workflowId = run.handle.workflowId;
  const acts = createBatchActivities({ db: tdb.db, executionClose: (w, r) => executionClose(run.deps.client, w, r) });
  await acts.startBatch({ batchId, workflowId, domains: [SITE], options: {} });
  const final = await acts.finishBatch({ batchId, status, error, statusAfterClose: true });
  const row = async () => ({ ...(await tdb.db.query(`SELECT ${columns} FROM audit_batches WHERE id = $1`, [batchId]))[0] });
  const confirm = (): Promise<string> => new MockActivityEnvironment().run(acts.confirmBatchClosed, { batchId, workflowId, temporalRunId: run.handle.firstExecutionRunId, status });
  return { final, row, confirm };
}

/** An AI job on `run`'s execution that was processing and is finished but for its status: its row and closer activity. */
async function finishedAiJobOn(run: HeldExecution, status: 'failed' | 'cancelled', error: string) {
  const jobId = randomUUID();
  const workflowId = run.handle.workflowId;
  const acts = createAiActivities({ db: tdb.db, log: createLogger('warn'), executionClose: (w, r) => executionClose(run.deps.client, w, r) });
  await aiJobs.insertAiJob(tdb.db, { jobId, workflowId, runId: run.rowId, model: 'claude-haiku-4-5', provider: 'anthropic', options: { severities: null, codes: null, maxPages: null } });
  await acts.aiSetStatus({ jobId, status: 'processing' });
  await acts.aiSetStatus({ jobId, status, error, statusAfterClose: true });
  const row = async () => ({ ...(await tdb.db.query(`SELECT status, completed_at IS NOT NULL AS finished, metadata->>'error' AS error FROM ai_batch_jobs WHERE id = $1`, [jobId]))[0] });
  const confirm = (): Promise<string> => new MockActivityEnvironment().run(acts.confirmAiJobClosed, { jobId, workflowId, temporalRunId: run.handle.firstExecutionRunId, status });
  return { row, confirm };
}

test('a batch finished but for its status says it only once its workflow has completed, by its closer', async () => {
  // The closer waits on an execution; a held run is one the test can keep open, then let complete.
  const run = await heldRun();
  const batch = await finishedBatchOn(run, 'completed', null, 'status, finished_at IS NOT NULL AS finished');
  assert.equal(batch.final.status, 'completed', 'the batch ends completed');
  await closesAfterTheRun(run, batch.row, { status: 'running', finished: true }, { status: 'completed', finished: true }, batch.confirm);
});

test('an AI job finished but for its status says it only once its workflow has completed, by its closer', async () => {
  const run = await heldRun();
  const job = await finishedAiJobOn(run, 'failed', 'provider said no');
  await closesAfterTheRun(run, job.row, { status: 'processing', finished: true, error: 'provider said no' }, { status: 'failed', finished: true, error: 'provider said no' }, job.confirm);
});

/** setStage on the real row; at a terminal stage it opens `ended` and then waits for `release` (the run ended, not closed). */
function stageHeldAtTheEnd(ended: ReturnType<typeof gate>, release: ReturnType<typeof gate>) {
  return async (input: SetStageInput) => {
    const row = await runStatus.setStage(tdb.db, input, input.stage, input.error, input.statusAfterClose === true);
    if (input.stage === 'cancelled' || input.stage === 'failed') {
      ended.open();
      await release.promise;
    }
    return row;
  };
}

/**
 * A mocked run whose row is real and that ends other than completed: `cancel` cancels it during its first crawl step,
 * `fail` makes summarize fail for good. setStage writes the real row (the workflow asks it to leave the status running)
 * and, for the terminal stage, then waits for `release`, which holds the run between "ended" and "closed".
 */
async function endingRun(how: 'cancel' | 'fail', closer?: (input: unknown) => Promise<string>) {
  const crawling = gate();
  const crawlHeld = heldGate();
  const ended = gate();
  const release = heldGate();
  const run = await runWithRealRow((activities) => {
    activities.setStage = stageHeldAtTheEnd(ended, release);
    if (how === 'fail') activities.summarize = async () => { throw ApplicationFailure.nonRetryable('the site checks gave up', 'SiteChecksFailed'); };
  }, closer, how === 'cancel' ? { onCrawl: () => { crawling.open(); return crawlHeld.promise; } } : {});
  if (how === 'cancel') {
    await crawling.promise;
    await run.handle.cancel();
  }
  await ended.promise;
  const rowId = run.rowId();
  const row = async () => ({ ...(await tdb.db.query(`SELECT status, stage, error, finished_at IS NOT NULL AS finished FROM audit_runs WHERE id = $1`, [rowId]))[0] });
  return { ...run, rowId, row, release: release.open };
}

test('cancelled, the row says so only once its workflow has closed: until then its stage does; its closer writes it', async () => {
  const run = await endingRun('cancel');
  // The workflow has written how it ends and is still open: the status must not say cancelled yet.
  assert.deepEqual(await run.row(), { status: 'running', stage: 'cancelled', error: null, finished: true });
  assert.equal((await run.handle.describe()).status.name, 'RUNNING');
  assert.equal((await getRunView(run.deps, run.rowId)).status, 'running', 'the API view asks Temporal, which says running');
  assert.deepEqual(await run.row(), { status: 'running', stage: 'cancelled', error: null, finished: true });

  run.release();
  await assert.rejects(run.handle.result(), /cancel/i);
  assert.equal(await run.closerHandle().result(), 'cancelled', 'the closer saw the workflow cancelled');
  assert.deepEqual({ ...(await closedRunRow(tdb.db, run.rowId, 'status, stage, error')) }, { status: 'cancelled', stage: 'cancelled', error: null });
});

/**
 * A mocked run cancelled while initRun still runs, on the row the API writes before it starts a workflow. initRun is
 * held for 6 s first: readers match a queued row to the execution started at most 5 s before it was queued, so the
 * run's end must not make the row look newer than its execution. Held then between "ended" and "closed", like endingRun.
 */
async function cancelledBeforeInitRun(closer?: (input: unknown) => Promise<string>) {
  const initRunning = gate();
  const initHeld = heldGate();
  const ended = gate();
  const release = heldGate();
  const run = await runWithRealRow((activities) => {
    activities.initRun = (async () => {
      initRunning.open();
      await initHeld.promise;
      return '';
    }) as MockedActivities['initRun'];
    activities.setStage = stageHeldAtTheEnd(ended, release);
  }, closer);
  await initRunning.promise;
  const rowId = await runStatus.insertQueued(tdb.db, { workflowId: run.handle.workflowId, runKey: run.handle.workflowId, siteUrl: SITE, siteHost: 'mock.example', options: {} });
  assert.ok(rowId);
  // The API's row is written just before its workflow starts.
  await tdb.db.query(`UPDATE audit_runs SET updated_at = $2 WHERE id = $1`, [rowId, (await run.handle.describe()).startTime]);
  await new Promise((r) => setTimeout(r, 6_000));
  await run.handle.cancel();
  await ended.promise;
  const row = async () => ({ ...(await tdb.db.query(`SELECT status, stage, error, finished_at IS NOT NULL AS finished FROM audit_runs WHERE id = $1`, [rowId]))[0] });
  return { ...run, rowId, row, release: release.open };
}

test('cancelled before initRun took its row, the API\'s queued row stays queued until the workflow has closed; its closer ends it', async () => {
  const run = await cancelledBeforeInitRun();
  assert.deepEqual(await run.row(), { status: 'queued', stage: 'cancelled', error: null, finished: true });
  assert.equal((await run.handle.describe()).status.name, 'RUNNING');
  assert.equal((await getRunView(run.deps, run.rowId)).status, 'queued', 'the API view asks Temporal, which says running');
  run.release();
  await assert.rejects(run.handle.result(), /cancel/i);
  assert.equal(await run.closerHandle().result(), 'cancelled', 'the closer saw the workflow cancelled');
  assert.deepEqual({ ...(await closedRunRow(tdb.db, run.rowId, 'status, stage, error')) }, { status: 'cancelled', stage: 'cancelled', error: null });
});

/** cancelledBeforeInitRun, closed in Temporal, with its closer started and held: the row still says queued. */
async function closedBeforeInitRunCloserHeld() {
  const closerHeld = heldCloser('cancelled');
  const run = await cancelledBeforeInitRun(closerHeld.closer);
  run.release();
  await assert.rejects(run.handle.result(), /cancel/i);
  await run.closerHandle().describe(); // started, and held
  assert.equal((await run.row()).status, 'queued', 'the closer has not written the row');
  return run;
}

test('cancelled before initRun, its row is ended by a reader when its closer has not yet', async () => {
  const run = await closedBeforeInitRunCloserHeld();
  assert.equal((await getRunView(run.deps, run.rowId)).status, 'cancelled');
  assert.deepEqual(await run.row(), { status: 'cancelled', stage: 'cancelled', error: null, finished: true });
});

test('cancelled before initRun, its row is ended by the batch that awaited it when its closer has not yet', async () => {
  const run = await closedBeforeInitRunCloserHeld();
  // What a batch does once its child's result says cancelled (src/activities/batches.ts).
  assert.equal(await runStatus.markEnded(tdb.db, run.rowId), true);
  assert.deepEqual(await run.row(), { status: 'cancelled', stage: 'cancelled', error: null, finished: true });
});

test('failed, a reader ends the row as its workflow did when the closer has not yet, keeping the workflow\'s own error', async () => {
  const closerHeld = heldCloser('failed');
  const run = await endingRun('fail', closerHeld.closer);
  const open = await run.row();
  assert.equal(open.status, 'running');
  assert.equal(open.stage, 'failed');
  run.release();
  await assert.rejects(run.handle.result());
  await run.closerHandle().describe(); // started, and held
  assert.equal((await run.row()).status, 'running', 'the closer has not written the row');
  const view = await getRunView(run.deps, run.rowId);
  assert.equal(view.status, 'failed');
  assert.equal(view.error, open.error, 'the error the workflow wrote, not Temporal\'s restatement of it');
  assert.deepEqual(await run.row(), { ...open, status: 'failed' });
  closerHeld.open();
});

test('terminated while it was ending cancelled, the run ends failed with the reason', async () => {
  await endsFailedWhenTerminated(await endingRun('cancel'), 'operator stop', { finished: true });
});

test('a batch its own code ended says its status only once its workflow has closed, keeping its own error', async () => {
  // The closer waits on an execution; a run held before its failed close is one the test can keep open, then let fail.
  const run = await endingRun('fail');
  const batch = await finishedBatchOn(run, 'failed', 'the batch gave up', 'status, error, finished_at IS NOT NULL AS finished');
  assert.equal(batch.final.status, 'failed', 'the batch ends failed');
  await closesAfterTheRun(run, batch.row, { status: 'running', error: 'the batch gave up', finished: true }, { status: 'failed', error: 'the batch gave up', finished: true }, batch.confirm, 'failed');
});

test('an AI job cancelled by its own code says so only once its workflow has closed, by its closer', async () => {
  const run = await endingRun('cancel');
  const job = await finishedAiJobOn(run, 'cancelled', 'cancelled');
  await closesAfterTheRun(run, job.row, { status: 'processing', finished: true, error: 'cancelled' }, { status: 'cancelled', finished: true, error: 'cancelled' }, job.confirm, 'cancelled');
});

test('a command waits for the closer its run started before stopping its worker, and knows when there is none', async () => {
  const { run, openCloser } = await completedWithHeldCloser();
  assert.equal(await closerClosed(run.deps.client, 'run', run.handle.workflowId, 500), false, 'its closer is still open');
  const waiting = closerClosed(run.deps.client, 'run', run.handle.workflowId);
  openCloser();
  assert.equal(await waiting, true);
  assert.equal((await run.closerHandle().describe()).status.name, 'COMPLETED');

  // Terminated before its end, a run starts no closer: nothing to wait for.
  const terminated = await heldRun();
  await terminated.handle.terminate('operator stop');
  const t0 = Date.now();
  assert.equal(await closerClosed(terminated.deps.client, 'run', terminated.handle.workflowId), true);
  assert.ok(Date.now() - t0 < 5_000, 'at once');
  terminated.release();
});
