// The API while PostgreSQL is really down (this test runs its OWN embedded PostgreSQL and stops it, like
// durabilityDatabase.test.ts): database routes answer 503 with Retry-After — never 500 "internal" — and GET
// /api/runs/:id of a running run answers from the workflow's progress query with a note that the database is
// unreachable. Once PostgreSQL is back, the same requests answer 200 and the run completes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/db/dataSource';
import { progressQuery } from '../../src/workflows/contracts';
import { startLocalPostgres, type LocalPostgres } from '../../src/stack';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { apiCaller, connectTestClient, startTestApi, startTestWorker, testConfig, uid, waitFor, type RunningWorker } from '../helpers/stack';

let pg: LocalPostgres;
let site: SlowSite;
let db: DataSource;
let worker: RunningWorker;
let client: Client;
let api: { url: string; close(): Promise<void> };

before(async () => {
  [pg, site] = await Promise.all([startLocalPostgres({ relaxedDurability: true }), startSlowSite({ pages: 30, delayMs: 200 })]);
  db = await openDatabase({ url: pg.url, migrate: true, poolSize: 5 });
});

after(async () => {
  await api?.close();
  await worker?.stop();
  await client?.connection.close();
  await db?.destroy().catch(() => {});
  await pg?.dispose();
  await site?.close();
});

test('PostgreSQL stopped: 503 with Retry-After, and a running run still shows its live progress', { timeout: 120_000 }, async () => {
  const config = testConfig({ DATABASE_URL: pg.url, PERSIST_RETRY_MAX_MS: '1000' });
  worker = await startTestWorker(config, db);
  client = await connectTestClient(config);
  api = await startTestApi(config, db, client);
  const call = apiCaller(() => api.url);

  const started = await call('POST', '/api/runs', {
    url: site.origin,
    idempotencyKey: `outage-${uid()}`,
    options: { auditBatchSize: 3, parallelBatches: 1, perHostConcurrency: 1, fetchRetries: 0, maxPages: 100 },
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const { runId, workflowId } = started.body;
  await waitFor(async () => {
    const r = await call('GET', `/api/runs/${runId}`);
    return r.body.progress && r.body.progress.audited >= 3 ? r.body : null;
  }, 60_000, 100);
  // The workflow's own counters move once per crawl step (the database's as each chunk commits): stop PostgreSQL only
  // once a step has reported, so the live view has something to show.
  await waitFor(async () => {
    const p = await client.workflow.getHandle(workflowId).query(progressQuery);
    return p.audited >= 3 ? p : null;
  }, 60_000, 100);

  await pg.stop();
  try {
    // The running run, by run id and by workflow id: live progress from Temporal, with the note.
    for (const id of [runId, workflowId]) {
      const r = await call('GET', `/api/runs/${encodeURIComponent(id)}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.database, 'unreachable');
      assert.match(r.body.note, /database is unreachable/);
      assert.equal(r.body.runId, runId);
      assert.equal(r.body.status, 'running');
      assert.ok(r.body.progress.audited >= 3, 'live counters from the workflow query');
      assert.equal(r.body.counters.audited, r.body.progress.audited);
    }
    // Everything that needs the database: 503 with Retry-After, twenty times in a row, never 500.
    const paths = ['/api/runs', `/api/runs/${runId}/pages`, `/api/runs/${runId}/report`, '/api/batches', '/api/metrics', '/api/runs/00000000-0000-4000-8000-000000000000'];
    for (let i = 0; i < 20; i++) {
      const path = paths[i % paths.length];
      const res = await fetch(`${api.url}${path}`);
      const body = (await res.json()) as any;
      assert.equal(res.status, 503, `${path}: ${res.status} ${JSON.stringify(body)}`);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal(body.error.code, 'database_unavailable');
    }
    const post = await call('POST', '/api/runs', { url: `${site.origin}/other`, idempotencyKey: `o-${uid()}` });
    assert.equal(post.status, 503);
    const ready = await call('GET', '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.checks.database, false);
  } finally {
    await pg.start();
  }

  // Back: the row answers again, and the run completes (persist retried through the outage).
  const done = await waitFor(async () => {
    const r = await call('GET', `/api/runs/${runId}`);
    return r.status === 200 && r.body.status === 'completed' ? r.body : null;
  }, 90_000, 300);
  assert.equal(done.database, undefined);
  assert.equal(done.counters.audited, site.paths.length);
  const list = await call('GET', '/api/runs');
  assert.equal(list.status, 200);
});
