// The lane loop of siteAuditWorkflow with mocked activities: the crawl ends only when nothing is left, and a batch that
// gives up for good is recorded as failed without stopping the run.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { SiteAuditResult } from '../../src/workflows/contracts';
import { FakeFrontier, fanOut, gate, mockActivities, startMockWorker, type MockWorkerEnv } from './mockActivities';

const envs: MockWorkerEnv[] = [];
after(async () => {
  for (const e of envs) await e.close();
});

test('termination rule: a lane that finds nothing while another lane is busy waits for it instead of ending the crawl', async () => {
  // / links to five pages, each linking to two more: every URL but / is found by a batch running in one lane while the
  // other lane's claim comes back empty.
  const graph: Record<string, string[]> = { '/': ['/a', '/b', '/c', '/d', '/e'] };
  for (const p of graph['/']!) graph[p] = [`${p}1`, `${p}2`];
  const frontier = new FakeFrontier(graph);
  const emptyClaimSeen = gate();
  let held = false;
  const { activities, calls } = mockActivities(frontier, graph, {
    onCrawl: async (_input, urls) => {
      // The batch holding / finishes only after the other lane's empty claim has come back to the workflow (half a
      // second after it: the rule must hold whatever the order, this order is the one that tests it).
      if (urls.length === 0) return void setTimeout(emptyClaimSeen.open, 500);
      if (held) return;
      held = true;
      await emptyClaimSeen.promise;
    },
  });
  let pendingAtSummary = -1;
  const summarize = activities.summarize;
  activities.summarize = async () => {
    pendingAtSummary = frontier.pending.length + [...frontier.seen].filter((u) => !frontier.isDone(u)).length;
    return summarize();
  };
  const env = await startMockWorker(activities);
  envs.push(env);
  const handle = await env.start({ auditBatchSize: 1, parallelBatches: 2 });
  const result = (await handle.result()) as SiteAuditResult;

  assert.equal(result.pagesAudited, 16, 'every page of the site');
  assert.equal(result.pagesFailed, 0);
  assert.deepEqual([...frontier.audited].sort(), [...frontier.seen].sort());
  assert.equal(pendingAtSummary, 0, 'summarize runs only once nothing is left to audit');
  assert.equal(calls.summarize, 1);
  // setStage from the first stage initRun's row exists in; the summary is written by summarize, completed by the closer.
  assert.deepEqual(calls.stages, ['auditing', 'summarizing']);
  // Claim tokens: <firstExecutionRunId>:<seq>, one per lane step, never reused.
  const tokens = calls.crawl.map((c) => c.token);
  assert.equal(new Set(tokens).size, tokens.length);
  const desc = await handle.describe();
  assert.ok(tokens.every((t) => t.startsWith(`${desc.runId}:`)));
  assert.equal(desc.status.name, 'COMPLETED');
  // The row is completed by the run's closer, a child started just before the close that waits for it.
  const closer = env.client.workflow.getHandle(`close-run:${handle.workflowId}:${desc.runId}`);
  assert.equal(await closer.result(), 'completed');
  assert.deepEqual(calls.closed, [{ runId: 'run-1', workflowId: handle.workflowId, temporalRunId: desc.runId, executionId: desc.runId }]);
});

test('termination rule: a deferred URL (open circuit) is waited for, not dropped', async () => {
  const graph = { '/': ['/a'] };
  const frontier = new FakeFrontier(graph);
  frontier.defer('/late');
  const { activities, calls } = mockActivities(frontier, graph);
  const answers: Array<number | null> = [];
  const crawl = activities.crawlBatch;
  activities.crawlBatch = async (input) => {
    const r = await crawl(input);
    answers.push(r.claimed === 0 ? r.retryInMs : -1);
    return r;
  };
  const env = await startMockWorker(activities);
  envs.push(env);
  const result = (await (await env.start({ auditBatchSize: 1, parallelBatches: 1 })).result()) as SiteAuditResult;

  assert.ok(frontier.audited.includes('/late'), 'the deferred URL was audited once the lane had waited for it');
  assert.equal(result.pagesAudited, 3);
  assert.ok(answers.some((a) => a !== null && a >= 0), 'a claim found only a deferred URL, and the lane waited');
  assert.equal(answers.at(-1), null, 'the crawl ended on a claim with nothing deferred');
  assert.equal(calls.summarize, 1);
});

test('a failed batch: retried up to the policy, then its URLs are recorded as failed and the run goes on', async () => {
  const graph = fanOut(7);
  const frontier = new FakeFrontier(graph);
  const { activities, calls } = mockActivities(frontier, graph, {
    onCrawl: (_input, urls) => {
      if (urls.includes('/p1')) throw new Error('worker lost its mind'); // retryable: every attempt fails
      if (urls.includes('/p3')) throw ApplicationFailure.nonRetryable('bad claim', 'InvalidInput'); // never retried
    },
  });
  const env = await startMockWorker(activities);
  envs.push(env);
  const handle = await env.start({ auditBatchSize: 2, parallelBatches: 2, policies: { auditRetryMaxAttempts: 3 } });
  const result = (await handle.result()) as SiteAuditResult;

  const tokenOf = (url: string) => [...frontier.claims].find(([, urls]) => urls.includes(url))![0];
  const attempts = (token: string) => calls.crawl.filter((c) => c.token === token).map((c) => c.attempt);
  assert.deepEqual(attempts(tokenOf('/p1')), [1, 2, 3], 'retried up to auditRetryMaxAttempts');
  assert.deepEqual(attempts(tokenOf('/p3')), [1], 'a non-retryable failure is not retried');
  assert.deepEqual(
    calls.failClaim.map((f) => f.claimToken).sort(),
    [tokenOf('/p1'), tokenOf('/p3')].sort(),
  );
  assert.ok(calls.failClaim.every((f) => f.reason === 'audit_failed'));
  assert.match(calls.failClaim.find((f) => f.claimToken === tokenOf('/p1'))!.detail, /worker lost its mind/);
  const failedUrls = [...frontier.claims.get(tokenOf('/p1'))!, ...frontier.claims.get(tokenOf('/p3'))!];
  assert.equal(result.pagesFailed, failedUrls.length);
  assert.equal(result.pagesAudited, 7 - failedUrls.length);
  assert.deepEqual(result.topFailReasons, [{ reason: 'audit_failed', count: failedUrls.length }]);
  assert.equal((await handle.describe()).status.name, 'COMPLETED');
});

test('a run that audits nothing (its only URL failed) fails, after its summary, with the reason', async () => {
  const graph = { '/': [] };
  const frontier = new FakeFrontier(graph);
  const { activities, calls } = mockActivities(frontier, graph, {
    onCrawl: () => {
      throw ApplicationFailure.nonRetryable('connection refused', 'FetchFailed');
    },
  });
  const env = await startMockWorker(activities);
  envs.push(env);
  const handle = await env.start({ auditBatchSize: 1, parallelBatches: 1 });
  await assert.rejects(handle.result(), (err: Error & { cause?: ApplicationFailure }) => {
    assert.equal(err.cause?.message, 'audit_failed: every page failed (1 page)');
    assert.equal(err.cause?.type, 'NothingAudited');
    assert.equal(err.cause?.nonRetryable, true);
    return true;
  });
  assert.equal(calls.summarize, 1, 'summarized (the summary says why) before it fails');
  assert.equal(calls.stages.at(-1), 'failed');
  assert.equal((await handle.describe()).status.name, 'FAILED');
  // The run.failed event goes out through its own (abandoned) child workflow: wait for its delivery.
  for (let i = 0; i < 100 && calls.events.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(calls.events, ['run.failed']);
});
