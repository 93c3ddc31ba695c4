// Batches of domains end to end: API → batchAuditWorkflow → one child siteAuditWorkflow per domain → PostgreSQL.
// Four fixture sites on 127.0.0.1 (distinct ports) and one closed port; small runs (maxPages 6) keep it quick.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { siteHostOf } from '../../src/audit/url';
import type { BatchAuditInput, BatchAuditResult } from '../../src/workflows/contracts';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { historyToJson } from '../replay/historyJson';
import { startServices, type TestServices, apiCaller, createTestDatabase, testConfig, uid, waitFor, type TestDb } from '../helpers/stack';
import { closedPort } from '../../src/ports';

const OPTIONS = { maxPages: 6, requestTimeoutMs: 1500, fetchRetries: 0, fetchRetryBaseMs: 50, auditBatchSize: 3, parallelBatches: 2 };

describe('batches of domains', () => {
  let sites: FixtureSite[] = [];
  let unreachable: string;
  let tdb: TestDb;
  let client: Client;
  let api: { url: string; close(): Promise<void> };
  let services: TestServices | undefined;
  let config: ReturnType<typeof testConfig>;
  let batchId: string;

  const call = apiCaller(() => api.url);
  const waitBatch = (id: string, statuses = ['completed', 'failed', 'cancelled'], timeoutMs = 120_000) =>
    waitFor(async () => {
      const r = await call('GET', `/api/batches/${id}`);
      return statuses.includes(r.body.status) ? r.body : null;
    }, timeoutMs, 300);
  const executions = async (workflowId: string) => {
    let n = 0;
    for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
    return n;
  };

  before(async () => {
    sites = await Promise.all([0, 1, 2, 3].map(() => startFixtureSite({ slowMs: 50, hangMs: 60_000 })));
    unreachable = `http://127.0.0.1:${await closedPort()}/`;
    tdb = await createTestDatabase('batch');
    // A short heartbeat timeout lets a cancellation reach the audit activities within a few seconds.
    config = testConfig({ AUDIT_HEARTBEAT_TIMEOUT_MS: '3000' });
    services = await startServices(config, tdb.db);
    ({ client, api } = services);
  });

  after(async () => {
    await services?.stop();
    await tdb?.close();
    await Promise.all(sites.map((s) => s.close()));
  });

  test('invalid domain lists are refused with the offending entry named', async () => {
    const bad = await call('POST', '/api/batches', { domains: ['example.com', 'not a domain!', 'ftp://example.org/'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
    assert.match(bad.body.error.message, /domains\[1\]: must be an http\(s\) URL or a host name/);
    assert.match(bad.body.error.message, /domains\[2\]/);
    const empty = await call('POST', '/api/batches', { domains: [] });
    assert.equal(empty.status, 400);
    assert.match(empty.body.error.message, /^domains: must contain at least 1 domain/);
    const many = await call('POST', '/api/batches', { domains: Array.from({ length: 1001 }, (_, i) => `site${i}.example.com`) });
    assert.equal(many.status, 400);
    assert.match(many.body.error.message, /at most 1000/);
    const badOpt = await call('POST', '/api/batches', { domains: ['example.com'], options: { maxPages: 0 } });
    assert.equal(badOpt.status, 400);
    assert.match(badOpt.body.error.message, /options\.maxPages/);
    const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM audit_batches`);
    assert.equal(n, 0, 'nothing was stored for refused batches');
  });

  test('a batch of 5 domains, one unreachable: 4 completed, 1 failed with its reason; one parent per idempotencyKey', async () => {
    const domains = [...sites.map((s) => s.origin), unreachable, `${sites[0].origin}/`];
    const key = `five-${uid()}`;
    const first = await call('POST', '/api/batches', { domains, idempotencyKey: key, options: OPTIONS, maxConcurrentSites: 2 });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.workflowId, `batch-audit:${key}`);
    assert.equal(first.body.totalDomains, 5);
    assert.equal(first.body.duplicatesRemoved, 1);
    assert.equal(first.body.statusUrl, `/api/batches/${first.body.batchId}`);
    assert.match(first.body.webUiUrl, /\/namespaces\/default\/workflows\/batch-audit%3A/);
    batchId = first.body.batchId;

    const second = await call('POST', '/api/batches', { domains, idempotencyKey: key, options: OPTIONS });
    assert.equal(second.status, 200);
    assert.equal(second.body.batchId, batchId);
    assert.equal(second.body.created, false);

    // Live state while it runs: the contract's keys, from the parent's query.
    const live = await waitFor(async () => {
      const r = await call('GET', `/api/batches/${batchId}`);
      return r.body.status === 'running' ? r.body : null;
    }, 30_000, 100);
    for (const k of ['batchId', 'status', 'totalDomains', 'completedDomains', 'failedDomains', 'progress', 'domainStatuses', 'createdAt', 'updatedAt', 'startTime', 'endTime', 'processingTimeMs', 'error', 'metadata']) {
      assert.ok(k in live, `GET /api/batches/:id has ${k}`);
    }
    assert.equal(live.totalDomains, 5);
    assert.ok(live.progress >= 0 && live.progress < 100);
    assert.equal(live.endTime, null);

    const done = await waitBatch(batchId);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.completedDomains, 4);
    assert.equal(done.failedDomains, 1);
    assert.equal(done.progress, 100);
    assert.equal(done.error, null);
    assert.ok(done.endTime && done.startTime && done.processingTimeMs > 0);
    assert.equal(done.metadata.maxConcurrentSites, 2);
    assert.deepEqual(Object.keys(done.domainStatuses).sort(), [...sites.map((s) => `${s.origin}/`), unreachable].sort());
    const failed = done.domainStatuses[unreachable];
    assert.equal(failed.status, 'failed');
    assert.match(failed.error, /^connection_refused: every page failed/);
    assert.equal(failed.pagesAudited, 0);

    // Per-domain status matches the database: one audit_runs row per domain, linked to the batch.
    const runs: any[] = await tdb.db.query(`SELECT id, workflow_id, site_url, status, summary FROM audit_runs WHERE batch_id = $1`, [batchId]);
    assert.equal(runs.length, 5);
    for (const run of runs) {
      const ds = done.domainStatuses[run.site_url];
      assert.ok(ds, `a domain status for ${run.site_url}`);
      assert.equal(ds.runId, run.id);
      assert.equal(run.workflow_id, `site-audit:${siteHostOf(run.site_url)}:batch-${batchId}`);
      assert.equal(ds.workflowId, run.workflow_id);
      // The batch's per-domain status and the run's own status agree, in the row and through the API.
      assert.equal(run.status, ds.status, `${run.site_url}: run ${run.status}, batch says ${ds.status}`);
      const view = await call('GET', `/api/runs/${run.id}`);
      assert.equal(view.body.status, ds.status);
      assert.equal(ds.pagesAudited, run.summary.pagesAudited);
      if (run.site_url === unreachable) {
        assert.equal(run.status, 'failed', 'an unreachable domain is a failed domain, and its run says so');
        assert.equal(view.body.error, ds.error);
        assert.equal(run.summary.pagesAudited, 0);
        assert.equal(run.summary.topFailReasons[0].reason, 'connection_refused');
      } else {
        assert.equal(ds.status, 'completed');
        assert.ok(run.summary.pagesAudited > 0 && run.summary.pagesAudited + run.summary.pagesFailed <= OPTIONS.maxPages);
      }
      // Each child is its own workflow, visible on its own, with the batch as its parent; the unreachable domain's
      // failed (Temporal, the row and the batch agree).
      const desc = await client.workflow.getHandle(run.workflow_id).describe();
      assert.equal(desc.status.name, run.site_url === unreachable ? 'FAILED' : 'COMPLETED');
      assert.equal(desc.parentExecution?.workflowId, `batch-audit:${key}`);
    }
    const [row] = await tdb.db.query(`SELECT * FROM audit_batches WHERE id = $1`, [batchId]);
    assert.equal(row.status, 'completed');
    // Its final status is written once the parent has completed: by the batch's closer (or the view, if it looked first).
    const parent = await client.workflow.getHandle(`batch-audit:${key}`).describe();
    assert.equal(await client.workflow.getHandle(`close-batch:batch-audit:${key}:${parent.runId}`).result(), 'completed');
    assert.equal(row.completed_domains, 4);
    assert.equal(row.failed_domains, 1);
    assert.deepEqual(row.domain_statuses, done.domainStatuses);
    assert.equal(await executions(`batch-audit:${key}`), 1, 'one parent for the idempotencyKey');

    const third = await call('POST', '/api/batches', { domains, idempotencyKey: key });
    assert.equal(third.status, 200, 'a finished batch is not started again');
    assert.equal(third.body.batchId, batchId);
    assert.equal(await executions(`batch-audit:${key}`), 1);

    const list = await call('GET', '/api/batches');
    assert.equal(list.status, 200);
    assert.equal(list.body.items[0].batchId, batchId);
    assert.equal(list.body.items[0].status, 'completed');

    // Record the history for the replay test (run with SITESWEEP_RECORD_HISTORIES=1 to refresh it).
    const dir = path.join(__dirname, '..', 'replay', 'histories');
    if (process.env.SITESWEEP_RECORD_HISTORIES === '1' && existsSync(dir)) {
      const history = await client.workflow.getHandle(`batch-audit:${key}`).fetchHistory();
      writeFileSync(path.join(dir, 'batch-completed.json'), `${JSON.stringify(historyToJson(history), null, 2)}\n`);
    }
  });

  test('retry of a failed domain\'s run starts a new run of the same site with the same options', async () => {
    const [old] = await tdb.db.query(`SELECT id, site_url, options, workflow_id FROM audit_runs WHERE batch_id = $1 AND site_url = $2`, [batchId, unreachable]);
    const r = await call('POST', `/api/runs/${old.id}/retry`, {});
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.retryOf, old.id);
    assert.notEqual(r.body.runId, old.id);
    assert.notEqual(r.body.workflowId, old.workflow_id);
    const done = await waitFor(async () => {
      const v = await call('GET', `/api/runs/${r.body.runId}`);
      return ['completed', 'failed', 'cancelled'].includes(v.body.status) ? v.body : null;
    }, 60_000, 300);
    assert.equal(done.siteUrl, unreachable);
    assert.equal(done.summary.topFailReasons[0].reason, 'connection_refused');
    const [fresh] = await tdb.db.query(`SELECT options, batch_id FROM audit_runs WHERE id = $1`, [r.body.runId]);
    assert.deepEqual(fresh.options, old.options);
    assert.equal(fresh.batch_id, null);
    const running = await call('POST', `/api/runs/${r.body.runId}/retry`, { idempotencyKey: 'bad key!' });
    assert.equal(running.status, 400);
    assert.match(running.body.error.message, /idempotencyKey/);
  });

  test('a batch started directly continues-as-new and keeps every domain\'s result in its row', async () => {
    const id = randomUUID();
    const workflowId = `batch-audit:direct-${uid()}`;
    const input: BatchAuditInput = { batchId: id, domains: sites.slice(0, 3).map((s) => `${s.origin}/`), options: OPTIONS, maxConcurrentSites: 2, maxDomainsPerRun: 1 };
    const result: BatchAuditResult = await client.workflow.execute('batchAuditWorkflow', { workflowId, taskQueue: config.temporal.taskQueue, args: [input] });
    assert.deepEqual(result, { batchId: id, status: 'completed', totalDomains: 3, completedDomains: 3, failedDomains: 0, cancelledDomains: 0 });
    assert.equal(await executions(workflowId), 3, 'one workflow run per domain (maxDomainsPerRun 1)');
    const view = await call('GET', `/api/batches/${workflowId}`);
    assert.equal(view.status, 200);
    assert.equal(view.body.batchId, id);
    assert.equal(view.body.completedDomains, 3);
    for (const d of input.domains) {
      assert.equal(view.body.domainStatuses[d].status, 'completed');
      assert.ok(view.body.domainStatuses[d].runId);
    }
  });

  test('cancelling a batch cancels its running children and the domains not started', async () => {
    // One page per second per site: the children are still running when the cancel arrives.
    const domains = sites.slice(0, 3).map((s) => s.origin);
    const started = await call('POST', '/api/batches', { domains, options: { ...OPTIONS, maxPages: 30, crawlDelayMs: 1000 }, maxConcurrentSites: 2 });
    assert.equal(started.status, 202);
    const id = started.body.batchId;
    await waitFor(async () => {
      const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM audit_runs WHERE batch_id = $1 AND status = 'running' AND audited > 0`, [id]);
      return n === 2;
    }, 60_000, 200);
    const c = await call('POST', `/api/batches/${id}/cancel`, {});
    assert.equal(c.status, 202);
    const done = await waitBatch(id, ['completed', 'failed', 'cancelled'], 60_000);
    assert.equal(done.status, 'cancelled');
    // The row says cancelled once the batch's workflow has closed: its closer writes it.
    const batchExecution = await client.workflow.getHandle(done.workflowId).describe();
    assert.equal(batchExecution.status.name, 'CANCELLED');
    assert.equal(await client.workflow.getHandle(`close-batch:${done.workflowId}:${batchExecution.runId}`).result(), 'cancelled');
    assert.equal(done.completedDomains, 0);
    const statuses = Object.values(done.domainStatuses) as any[];
    assert.equal(statuses.length, 3);
    assert.ok(statuses.every((s) => s.status === 'cancelled'), JSON.stringify(done.domainStatuses));
    const runs: any[] = await tdb.db.query(`SELECT workflow_id, status FROM audit_runs WHERE batch_id = $1`, [id]);
    assert.equal(runs.length, 2, 'the third domain never started');
    for (const run of runs) {
      assert.equal(run.status, 'cancelled');
      const desc = await client.workflow.getHandle(run.workflow_id).describe();
      assert.equal(desc.status.name, 'CANCELLED');
    }
    const again = await call('POST', `/api/batches/${id}/cancel`, {});
    assert.equal(again.status, 409);
  });
});
