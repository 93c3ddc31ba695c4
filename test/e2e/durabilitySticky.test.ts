// A killed worker's cached workflow: the worker that ran a run's last workflow task holds it in its cache, and Temporal
// sends the run's next workflow task to that worker's sticky queue. Killed with SIGKILL, the worker never tells the
// server it is gone, so that task waits out the sticky schedule-to-start timeout before it moves to the shared queue.
// The worker sets it to WORKER_STICKY_TIMEOUT_MS (3 s) instead of the SDK's 10 s, and this test reads the wait from the
// run's history: the holder is killed for real, the timed-out sticky task is there, and it waited ~3 s, not 10.
// Right after the kill the test signals the run (`resume`, a no-op on a running run), so a workflow task is due at once,
// well inside the server's own fallback (matching sends a task straight to the shared queue once the sticky queue has
// had no poller for ~10 s; without the signal the next task could wait that long for the dead worker's host slots).
// A workflow task handed to the holder just before the kill times out start-to-close instead and says nothing about
// the sticky timeout: the test then tries again on a new run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startSiteRun } from '../../src/api/runService';
import { resumeSignal, type SiteAuditResult } from '../../src/workflows/contracts';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { connectTestClient, createTestDatabase, testConfig, uid, waitFor, type TestDb } from '../helpers/stack';
import { spawnWorkerProcess, workerProcessEnv, type WorkerProcess } from '../helpers/workerProcess';
import { assertEveryPageOnce, closeAll } from './durability.helpers';

const PAGES = 600;
const HEARTBEAT_TIMEOUT_MS = 3_000;
const EventType = temporal.api.enums.v1.EventType;

let site: SlowSite;
let tdb: TestDb;
let client: Client;
const workers: WorkerProcess[] = [];

before(async () => {
  site = await startSlowSite({ pages: PAGES - 1, delayMs: 50 });
  tdb = await createTestDatabase('dursticky');
});

after(() => closeAll({ workers, client, tdb, site }));

const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

type Outcome = { kind: 'sticky'; wait: number; holder: string } | { kind: 'raced'; holder: string };

/** One run: kill the holder of its cache right after it completed a workflow task, and read what the next task did. */
async function killHolderOnce(config: ReturnType<typeof testConfig>, tag: string): Promise<Outcome> {
  const started = await startSiteRun(
    { db: tdb.db, client, config },
    {
      url: site.origin,
      idempotencyKey: `sticky-${tag}`,
      // Steps of ~50 pages on two lanes: a workflow task about every second, seldom one in flight at the kill.
      options: { auditBatchSize: 50, parallelBatches: 2, perHostConcurrency: 4, fetchRetries: 0, requestTimeoutMs: 10_000, maxPages: PAGES + 10 },
    },
  );
  const handle = client.workflow.getHandle(started.workflowId);
  // The holder: whoever completed the run's latest workflow task (it has the run cached; the run's sticky queue is its
  // own). Taken a fifth into the crawl, when no workflow task is due and the last one completed 50 ms-3 s ago: past a
  // burst of tasks, and with the holder's sticky poll well inside the server's 10 s window.
  await waitFor(async () => {
    const [r] = await tdb.db.query(`SELECT persisted FROM audit_runs WHERE workflow_id = $1`, [started.workflowId]);
    return (r?.persisted ?? 0) >= PAGES / 5 ? true : null;
  }, 120_000, 50);
  let snapshot = 0;
  const holder = await waitFor(async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const last = events.filter((e) => WFT_EVENTS.has(e.eventType!)).at(-1);
    const since = Date.now() - millis(last?.eventTime);
    if (last?.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED || since < 50 || since > 3_000) return null;
    snapshot = Number(events.at(-1)!.eventId);
    return workers.find((w) => w.identity === last.workflowTaskCompletedEventAttributes?.identity) ?? null;
  }, 120_000, 10);
  await holder.kill9();
  workers.splice(workers.indexOf(holder), 1);
  await handle.signal(resumeSignal);

  const result = (await handle.result()) as SiteAuditResult;
  assert.equal(result.pagesAudited, PAGES);
  assert.equal(result.pagesFailed, 0);
  const { missing, duplicates } = await assertEveryPageOnce(tdb.db, result.runId, site.origin, site.paths);
  assert.equal(missing + duplicates, 0);

  const events = ((await handle.fetchHistory()).events ?? []).filter((e) => Number(e.eventId) > snapshot);
  if (events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED && e.workflowTaskStartedEventAttributes?.identity === holder.identity)) {
    return { kind: 'raced', holder: holder.identity };
  }
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const timedOut = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
  assert.equal(timedOut.length, 1, 'the workflow task due after the kill was sent to the dead worker, and timed out');
  const t = timedOut[0].workflowTaskTimedOutEventAttributes!;
  assert.equal(t.timeoutType, temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START, 'it waited on the sticky queue, never started');
  return { kind: 'sticky', wait: millis(timedOut[0].eventTime) - millis(byId.get(Number(t.scheduledEventId))?.eventTime), holder: holder.identity };
}

const WFT_EVENTS = new Set([
  EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
]);

test('kill -9 of the worker holding a run in its cache: the run\'s next workflow task leaves its sticky queue after ~3 s, not 10', async () => {
  const config = testConfig({ AUDIT_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS), AUDIT_RETRY_INITIAL_MS: '200', AUDIT_RETRY_MAX_MS: '1000' });
  assert.equal(config.worker.stickyScheduleToStartMs, 3_000, 'the shipped default');
  const env = workerProcessEnv(config, tdb.url, { AUDIT_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS) });
  const tag = uid();
  workers.push(...(await Promise.all([spawnWorkerProcess(env, `sticky-a-${tag}`), spawnWorkerProcess(env, `sticky-b-${tag}`)])));
  client = await connectTestClient(config);
  const seen: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const outcome = await killHolderOnce(config, `${tag}-${attempt}`);
    if (outcome.kind === 'sticky') {
      assert.ok(outcome.wait >= 2_500 && outcome.wait < 6_000, `the sticky task moved to the shared queue after ${outcome.wait} ms`);
      console.log(`# durability/sticky: ${PAGES} pages, killed the run's cache holder ${outcome.holder}, its sticky task moved after ${outcome.wait} ms (attempt ${attempt}; before: ${seen.join(', ') || 'none'})`);
      return;
    }
    seen.push(outcome.kind);
    // Two workers again for the next run.
    workers.push(await spawnWorkerProcess(env, `sticky-${attempt}-${tag}`));
  }
  assert.fail(`every kill met a workflow task in flight: ${seen.join(', ')}`);
});
