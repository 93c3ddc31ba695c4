// Continue-as-new of siteAuditWorkflow with mocked activities, on a dev server that suggests it after 40 events: the
// chain keeps its claim sequence, counters and run row, and runs discovery, initRun and summarize once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/stack';
import { progressQuery, type SiteAuditResult } from '../../src/workflows/contracts';
import { FakeFrontier, fanOut, mockActivities, requireEnv, startMockWorker, type MockWorkerEnv } from './mockActivities';

let server: TemporalDevServer;
let env: MockWorkerEnv | undefined;
before(async () => {
  server = await startTemporalDevServer({
    executable: requireEnv('TEMPORAL_CLI_PATH'),
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 },
  });
});
after(async () => {
  await env?.close();
  await server?.stop();
});

test('a long run continues-as-new several times and ends as if it never had', async () => {
  const graph = fanOut(40);
  const frontier = new FakeFrontier(graph);
  const { activities, calls } = mockActivities(frontier, graph);
  let initRuns = 0;
  let discovers = 0;
  const { initRun, discover } = activities;
  activities.initRun = () => (initRuns++, initRun());
  activities.discover = () => (discovers++, discover());
  env = await startMockWorker(activities, server.address);
  const handle = await env.start({ auditBatchSize: 1, parallelBatches: 2 });
  const result = (await handle.result()) as SiteAuditResult;

  const executions = new Set(calls.crawl.map((c) => c.workflowRunId));
  assert.ok(executions.size >= 3, `expected several executions, got ${executions.size}`);
  assert.equal((await handle.query(progressQuery)).continuedAsNew, executions.size - 1);
  assert.equal(result.pagesAudited, 40);
  assert.equal(result.runId, 'run-1');
  assert.deepEqual([initRuns, discovers, calls.summarize], [1, 1, 1]);
  // One claim sequence over the whole chain, scoped to its first execution: no token is ever reused.
  const first = calls.crawl[0]!.workflowRunId;
  const seqs = calls.crawl.map((c) => {
    const [exec, seq] = c.token.split(':');
    assert.equal(exec, first);
    return Number(seq);
  });
  assert.deepEqual([...seqs].sort((a, b) => a - b), seqs.map((_, i) => i));
  assert.deepEqual(calls.stages, ['auditing', 'summarizing'], 'a new execution does not re-enter discovery');
});
