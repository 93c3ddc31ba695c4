// Replay safety: every recorded history in test/replay/histories/*.json is replayed against the CURRENT workflow code
// (the bundle the harness built from src/). A change to siteAuditWorkflow that is not deterministic against histories of
// runs already in flight (a reordered/added/removed activity, timer, etc. without patched()) fails here.
// Re-record with `npx tsx scripts/record-histories.ts` (see docs/REPLAY.md).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { requireEnv } from '../helpers/stack';
import { historyFromJson } from './historyJson';

const DIR = path.join(__dirname, 'histories');
/** The scenarios scripts/record-histories.ts records, and the event each history must end with. */
const EXPECTED: Record<string, string> = {
  'completed.json': 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  'continued-as-new-first.json': 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
  'continued-as-new-last.json': 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  'cancelled.json': 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
  'cancelled-before-init.json': 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
  'ai-recommendations-completed.json': 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  'completed-v1.json': 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  'cancelled-v1.json': 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
};

/** The child workflow types a history starts. */
function childTypes(file: string): string[] {
  const json = JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as {
    events: Array<{ startChildWorkflowExecutionInitiatedEventAttributes?: { workflowType?: { name?: string } } }>;
  };
  return json.events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ?? []);
}

test('the completed and cancelled histories pin every path: with the run closer, recorded before it, and before initRun', () => {
  assert.deepEqual(childTypes('completed.json'), ['runCloserWorkflow', 'deliverEventWorkflow']);
  assert.deepEqual(childTypes('completed-v1.json'), [], 'recorded before events and the closer');
  assert.deepEqual(childTypes('cancelled.json'), ['runCloserWorkflow'], 'a cancelled run starts its closer too (and no event)');
  assert.deepEqual(childTypes('cancelled-v1.json'), [], 'recorded before the closer of runs that end other than completed');
  assert.deepEqual(childTypes('cancelled-before-init.json'), ['runCloserWorkflow'], 'cancelled before initRun, it starts the closer of the API\'s row');
});

test('every recorded history replays against the current workflow code without a determinism error', async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed in this process
  }
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  for (const name of Object.keys(EXPECTED)) assert.ok(files.includes(name), `history fixture ${name} exists`);

  const histories = files.map((f) => {
    const json = JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as { workflowId?: string; events: Array<{ eventType: string }> };
    if (EXPECTED[f]) assert.equal(json.events.at(-1)?.eventType, EXPECTED[f], `${f} ends as its scenario says`);
    // The recorded workflow id where the file has it (child ids derived from it are in the history); else its name.
    return { workflowId: json.workflowId ?? f.replace(/\.json$/, ''), history: historyFromJson(json) };
  });
  assert.ok(histories.every((h) => (h.history.events?.length ?? 0) > 20), 'histories are whole runs');

  const results: Array<{ workflowId: string; error?: Error }> = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: requireEnv('WORKFLOW_BUNDLE_PATH') } }, histories)) {
    results.push({ workflowId: r.workflowId, error: r.error });
  }
  const errors = results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error!.name}: ${r.error!.message}`);
  assert.deepEqual(errors, [], 'no replay (determinism) error');
  assert.equal(results.length, files.length, 'replayed every history');
  assert.ok(results.length >= Object.keys(EXPECTED).length);
});

test('the replayer does catch a divergence (control): a history whose first activity was another one fails', async () => {
  const json = JSON.parse(readFileSync(path.join(DIR, 'completed.json'), 'utf8')) as {
    events: Array<{ eventType: string; activityTaskScheduledEventAttributes?: { activityType: { name: string } } }>;
  };
  const scheduled = json.events.find((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')!;
  assert.equal(scheduled.activityTaskScheduledEventAttributes!.activityType.name, 'initRun');
  scheduled.activityTaskScheduledEventAttributes!.activityType.name = 'someOtherActivity';
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: requireEnv('WORKFLOW_BUNDLE_PATH') } }, [
    { workflowId: 'tampered', history: historyFromJson(json) },
  ])) {
    results.push(r);
  }
  assert.equal(results.length, 1);
  assert.ok(results[0].error, 'replaying the tampered history reports an error');
  assert.match(`${results[0].error.name} ${results[0].error.message}`, /Determinism|nondetermin/i);
});
