// Issue 12 parts 7 and 9: with OTEL_EXPORTER_OTLP_ENDPOINT set, the CLI's client and in-process worker export
// OpenTelemetry spans (client start → workflow run → activities, one trace) over OTLP/HTTP to a local receiver; and a
// broken budget exits 3 and sends one signed `run.budget_broken` webhook event with its Idempotency-Key.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { runCli } from '../helpers/cli';
import { connectTestClient, createTestDatabase, requireEnv, testConfig, uid, type TestDb } from '../helpers/stack';

const WEBHOOK_SECRET = 'whsec-budget-0123456789abcdef';
let site: FixtureSite;
let tdb: TestDb;
let receiver: http.Server;
let base = '';
const traces: Array<{ path: string; contentType: string; body: string }> = [];
const hooks: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];

function cli(args: string[], env: Record<string, string>) {
  return runCli(args, { TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: `trace-${uid()}`, DATABASE_URL: tdb.url, FETCH_RETRIES: '0', ...env });
}
const audit = (extra: string[]) => ['audit', site.origin, '--allow-private', '--max-pages', '10', '--timeout', '1500', '--retries', '0', ...extra];

before(async () => {
  site = await startFixtureSite({});
  tdb = await createTestDatabase('trace');
  // One local receiver: OTLP/HTTP traces on /v1/traces, webhook events on /hooks.
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && req.url === '/v1/traces') {
        traces.push({ path: req.url, contentType: String(req.headers['content-type']), body });
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }
      if (req.method === 'POST' && req.url === '/hooks') {
        hooks.push({ headers: req.headers, body });
        return void res.writeHead(204).end();
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => receiver?.close(r));
  await tdb?.close();
  await site?.close();
});

interface OtlpSpan { name: string; traceId: string; spanId: string; parentSpanId?: string }

test('OTEL_EXPORTER_OTLP_ENDPOINT: client, workflow and activity spans reach the OTLP/HTTP receiver in one trace', { timeout: 90_000 }, async () => {
  const res = await cli(audit([]), { OTEL_EXPORTER_OTLP_ENDPOINT: base });
  assert.equal(res.code, 0, res.stderr.slice(-2000));
  // The workflow span ends when the workflow closes, a workflow task or two after the run's row turned completed: the
  // CLI keeps its worker until then (once it did not, and the span was lost when the machine was loaded).
  const workflowId = /started \(workflow ([^)\s]+)\)/.exec(res.stderr)?.[1];
  assert.ok(workflowId, res.stderr.slice(-2000));
  const client = await connectTestClient(testConfig());
  try {
    assert.equal((await client.workflow.getHandle(workflowId).describe()).status.name, 'COMPLETED', 'the workflow closed before the CLI exited');
  } finally {
    await client.connection.close();
  }
  // Flushed at exit: every span is in by the time the CLI has exited.
  assert.ok(traces.length > 0, 'the exporter posted to /v1/traces');
  const spans: OtlpSpan[] = [];
  for (const t of traces) {
    assert.match(t.contentType, /application\/json/);
    const doc = JSON.parse(t.body) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
    for (const rs of doc.resourceSpans) {
      assert.ok(rs.resource.attributes.some((a) => a.key === 'service.name' && a.value.stringValue === 'sitesweep'), 'service.name');
      for (const ss of rs.scopeSpans) spans.push(...ss.spans);
    }
  }
  const names = [...new Set(spans.map((s) => s.name))].sort();
  const start = spans.find((s) => s.name === 'StartWorkflow:siteAuditWorkflow');
  const run = spans.find((s) => s.name === 'RunWorkflow:siteAuditWorkflow');
  assert.ok(start, `client span; got ${names.join(', ')}`);
  assert.ok(run, `workflow span (from the traced bundle); got ${names.join(', ')}`);
  assert.ok(spans.some((s) => s.name.startsWith('RunActivity:')), `activity spans; got ${names.join(', ')}`);
  // Context travels client → workflow → activities through Temporal headers: one trace.
  assert.equal(run.traceId, start.traceId, 'the workflow run continues the client trace');
  const activity = spans.filter((s) => s.name.startsWith('RunActivity:'));
  assert.ok(activity.every((s) => s.traceId === start.traceId), 'activities in the same trace');
});

test('a broken budget exits 3 and sends a signed run.budget_broken event with an Idempotency-Key', { timeout: 90_000 }, async () => {
  const res = await cli(audit(['--min-score', '100']), { WEBHOOK_URL: `${base}/hooks`, WEBHOOK_SECRET });
  assert.equal(res.code, 3, res.stderr.slice(-2000));
  assert.match(res.stderr, /Budget broken \(exit 3\)/);
  const broken = hooks.filter((h) => JSON.parse(h.body).type === 'run.budget_broken');
  assert.equal(broken.length, 1, `one budget event; got ${hooks.map((h) => JSON.parse(h.body).type).join(', ')}`);
  const { headers, body } = broken[0]!;
  const event = JSON.parse(body) as { id: string; type: string; siteUrl: string; data: { broken: Array<{ budget: string; flag: string; message: string }> } };
  const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
  const got = String(headers['x-sitesweep-signature']);
  assert.ok(got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected)), 'valid signature');
  assert.equal(headers['idempotency-key'], event.id);
  assert.match(event.id, /^run\.budget_broken:/);
  assert.equal(headers['x-sitesweep-event'], 'run.budget_broken');
  assert.equal(event.siteUrl.replace(/\/$/, ''), site.origin);
  assert.ok(event.data.broken.some((b) => b.flag.includes('min-score')), JSON.stringify(event.data.broken));
});
