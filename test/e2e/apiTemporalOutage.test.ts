// The API while the Temporal server cannot be reached (its client connects to a port nobody listens on): starting a
// run answers 503 temporal_unavailable with Retry-After, not database_unavailable (gRPC's "connect ECONNREFUSED" used to
// be read as PostgreSQL's), and leaves no run row behind; routes that need only PostgreSQL keep answering. The API
// gives up after ~3 s of gRPC retries (apiGrpcInterceptors), not the SDK's default ~20 s.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { closedPort } from '../../src/stack';
import { apiGrpcInterceptors } from '../../src/temporal/connection';
import { apiCaller, createTestDatabase, startTestApi, testConfig, uid, type TestDb } from '../helpers/stack';

let tdb: TestDb;
let connection: Connection;
let api: { url: string; close(): Promise<void> };

before(async () => {
  tdb = await createTestDatabase('tmpout');
  // The API process's own retry budget (src/api/server.ts connects with it).
  connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}`, connectTimeout: 1_000, interceptors: apiGrpcInterceptors() });
  api = await startTestApi(testConfig({ DATABASE_URL: tdb.url }), tdb.db, new Client({ connection }));
});

after(async () => {
  await api?.close();
  await connection?.close().catch(() => {});
  await tdb?.close();
});

test('Temporal unreachable: a run start answers 503 temporal_unavailable within seconds, writes nothing, and database routes still answer', { timeout: 120_000 }, async () => {
  const call = apiCaller(() => api.url);
  const t0 = Date.now();
  const res = await fetch(`${api.url}/api/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'http://127.0.0.1:9/', idempotencyKey: `tmpout-${uid()}` }),
  });
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(res.status, 503, JSON.stringify(body));
  // Within the API's ~3 s of gRPC retries, not the SDK's default ~20 s (which this answered in before).
  assert.ok(Date.now() - t0 < 10_000, `503 after ${Date.now() - t0} ms`);
  assert.equal(body.error.code, 'temporal_unavailable');
  assert.match(body.error.message, /Temporal server is unreachable/);
  assert.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After');
  const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM audit_runs`);
  assert.equal(n, 0, 'no run row left behind');
  const list = await call('GET', '/api/runs');
  assert.equal(list.status, 200, JSON.stringify(list.body));
});

test('Temporal unreachable: the lists answer from PostgreSQL without waiting out the check of quiet open rows', { timeout: 60_000 }, async () => {
  const call = apiCaller(() => api.url);
  // A running run and a running batch, both quiet: the lists ask Temporal whether their workflows closed.
  await tdb.db.query(
    `INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, status, stage, execution_id, updated_at)
     VALUES ($1, 'k', 'http://127.0.0.1:9/', '127.0.0.1:9', 'running', 'auditing', 'exec-1', now() - interval '1 minute')`,
    [`site-audit:127.0.0.1:9:quiet-${uid()}`],
  );
  await tdb.db.query(
    `INSERT INTO audit_batches (id, workflow_id, status, domains, domain_statuses, options, total_domains)
     VALUES (gen_random_uuid(), $1, 'running', '[]', '{}', '{}', 0)`,
    [`batch-audit:quiet-${uid()}`],
  );
  for (const path of ['/api/runs', '/api/batches']) {
    const t0 = Date.now();
    const list = await call('GET', path);
    const ms = Date.now() - t0;
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.items[0].status, 'running', 'shown as stored');
    // The check waits ~3 s for gRPC's retries; the list waits for it at most LIST_CHECK_WAIT_MS (0.5 s).
    assert.ok(ms < 2_000, `${path} answered after ${ms} ms`);
  }
});
