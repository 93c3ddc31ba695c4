// A Temporal namespace without Sitesweep's search attributes (Temporal Cloud, where no worker may register them, or
// an API started before any worker): POST /api/runs used to answer 500 "internal". It must answer 503 naming the
// namespace, the missing attribute and the command that adds it, with nothing half-written; once the attributes
// exist (what a starting worker does where the server allows it) the same request starts the run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureSearchAttributes } from '../../src/temporal/searchAttributes';
import { apiCaller, connectTestClient, createTestDatabase, startTestApi, testConfig, uid, waitFor, type TestDb } from '../helpers/stack';

let tdb: TestDb;
let client: Client;
let api: { url: string; close(): Promise<void> };
const namespace = `nosa-${uid()}`;

before(async () => {
  tdb = await createTestDatabase('nosa');
  const config = testConfig({ TEMPORAL_NAMESPACE: namespace, DATABASE_URL: tdb.url });
  client = await connectTestClient(config);
  await client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  api = await startTestApi(config, tdb.db, client);
});

after(async () => {
  await api?.close();
  await client?.connection.close();
  await tdb?.close();
});

test('a namespace without the search attributes: 503 that says how to add them, nothing written; then the run starts', { timeout: 90_000 }, async () => {
  const call = apiCaller(() => api.url);
  const body = { url: 'http://127.0.0.1:9/', idempotencyKey: `nosa-${uid()}` };
  // A namespace just registered takes the server a moment to know; until then the start fails otherwise.
  const refused = await waitFor(async () => {
    const res = await fetch(`${api.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const r = { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
    return r.body?.error?.code === 'search_attributes_missing' ? r : null;
  }, 30_000, 250);
  assert.equal(refused.status, 503);
  assert.equal(refused.retryAfter, '5');
  assert.match(refused.body.error.message, new RegExp(`namespace ${namespace} has no search attribute (SiteHost|AuditStage)`));
  assert.match(refused.body.error.message, new RegExp(`temporal operator search-attribute create --namespace ${namespace} --name SiteHost --type Keyword`));
  assert.equal(refused.body.error.details.namespace, namespace);
  const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM audit_runs WHERE run_key = $1`, [body.idempotencyKey]);
  assert.equal(n, 0, 'no run row left behind');

  assert.deepEqual(await ensureSearchAttributes(client.connection, namespace), []);
  const started = await waitFor(async () => {
    const r = await call('POST', '/api/runs', body);
    return r.status === 202 ? r : null;
  }, 30_000, 250);
  await client.workflow.getHandle(started.body.workflowId).terminate('test done');
});
