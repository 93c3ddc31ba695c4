// Issue 12 part 9: events and alerts the durable way. A webhook receiver on 127.0.0.1 refuses the first deliveries of
// each event and then accepts: every event still arrives, exactly once accepted, signed with WEBHOOK_SECRET, with its
// idempotency key. A Sentry-protocol receiver (the DSN points at 127.0.0.1) gets the failed run's event, without secrets.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { alerts, initAlerts } from '../../src/alerts/sentry';
import { createLogger } from '../../src/logger';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { apiCaller, createTestDatabase, startServices, testConfig, uid, waitFor, type TestDb, type TestServices } from '../helpers/stack';

const WEBHOOK_SECRET = 'whsec-test-0123456789abcdef';
const SECRETS_KEY = 'secrets-key-that-must-not-leak-42';
const SITE_PASSWORD = 'hunter2-site-password';
const REFUSALS_PER_EVENT = 2;

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

let site: FixtureSite;
let tdb: TestDb;
let services: TestServices | undefined;
let taskQueue = '';
let webhook: http.Server;
let sentry: http.Server;
const attempts = new Map<string, number>();
const accepted: Delivery[] = [];
const envelopes: string[] = [];

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

before(async () => {
  webhook = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    const key = String(req.headers['idempotency-key'] ?? '');
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    // "Down for a while": the first deliveries of every event are refused.
    if (n <= REFUSALS_PER_EVENT) return void res.writeHead(503).end('down');
    // A receiver drops repeats by idempotency key (none must come after an accepted one, checked below).
    accepted.push({ headers: req.headers, body });
    res.writeHead(204).end();
  });
  sentry = http.createServer(async (req, res) => {
    const raw = await readBody(req);
    const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    if (req.method === 'POST' && /^\/api\/42\/envelope\/?/.test(req.url ?? '')) envelopes.push(text);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  const [webhookPort, sentryPort] = await Promise.all([listen(webhook), listen(sentry)]);
  site = await startFixtureSite();
  tdb = await createTestDatabase('alerts');
  const config = testConfig({
    WEBHOOK_URL: `http://127.0.0.1:${webhookPort}/hooks/sitesweep`,
    WEBHOOK_SECRET,
    SENTRY_DSN: `http://publickey@127.0.0.1:${sentryPort}/42`,
    SECRETS_KEY,
  });
  initAlerts(config, createLogger('warn', 'test-alerts'), 'test');
  assert.equal(alerts().enabled, true, '@sentry/node is loadable');
  taskQueue = config.temporal.taskQueue;
  services = await startServices(config, tdb.db);
});

after(async () => {
  await services?.stop();
  await tdb?.close();
  await site?.close();
  webhook?.close();
  sentry?.close();
});

test('a completed and a failed run: webhook events delivered once accepted, signed, idempotent; Sentry gets the failure without secrets', { timeout: 120_000 }, async () => {
  const { client, api } = services!;
  const call = apiCaller(() => api.url);
  const started = await call('POST', '/api/runs', { url: site.origin, idempotencyKey: `ok-${uid()}`, options: { maxPages: 3 } });
  assert.equal(started.status, 202, JSON.stringify(started.body));

  // A run that fails in discovery (a host that is not a host), whose error quotes the URL with its password.
  const failedId = `site-audit:bad:${uid()}`;
  const failed = await client.workflow.start('siteAuditWorkflow', {
    taskQueue,
    workflowId: failedId,
    args: [{ siteUrl: `http://admin:${SITE_PASSWORD}@files example.com/`, maxPages: 1 }],
  });
  await assert.rejects(failed.result());

  const events = await waitFor(async () => {
    const types = accepted.map((d) => JSON.parse(d.body).type);
    return types.includes('run.completed') && types.includes('run.failed') ? accepted.map((d) => ({ d, e: JSON.parse(d.body) })) : null;
  }, 90_000, 250);

  for (const { d, e } of events) {
    // Signed: HMAC-SHA256 of the raw body with the shared secret.
    const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(d.body).digest('hex')}`;
    const got = String(d.headers['x-sitesweep-signature']);
    assert.ok(got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected)), 'valid signature');
    assert.equal(d.headers['idempotency-key'], e.id);
    assert.equal(d.headers['x-sitesweep-event'], e.type);
    assert.equal(attempts.get(e.id), REFUSALS_PER_EVENT + 1, 'refused twice, then accepted once');
    assert.ok(!d.body.includes(SITE_PASSWORD) && !d.body.includes(SECRETS_KEY));
  }
  // Each event accepted exactly once.
  const ids = events.map(({ e }) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  const completed = events.find(({ e }) => e.type === 'run.completed')!.e;
  assert.equal(completed.subjectId, started.body.runId);
  assert.equal(completed.workflowId, started.body.workflowId);
  assert.equal(completed.data.pagesAudited, 3);
  const failedEvent = events.find(({ e }) => e.type === 'run.failed')!.e;
  assert.equal(failedEvent.workflowId, failedId);
  assert.match(failedEvent.error, /Not an http\(s\) URL/);
  assert.match(failedEvent.error, /admin:\[redacted\]@/, 'userinfo scrubbed from the error');

  // Sentry: the failed run, with its context, and no secret anywhere in the envelope.
  const envelope = await waitFor(async () => envelopes.find((t) => t.includes('run.failed')), 30_000, 200);
  assert.ok(envelope.includes(failedId), 'the run context (workflow id)');
  assert.ok(envelope.includes('"sitesweep"'), 'the sitesweep context');
  for (const secret of [SITE_PASSWORD, SECRETS_KEY, WEBHOOK_SECRET]) {
    assert.ok(!envelopes.some((t) => t.includes(secret)), `no ${secret.slice(0, 6)}… in any Sentry event`);
  }
  assert.ok(!envelopes.some((t) => t.includes('"run.completed')), 'a completed run (nor its refused deliveries) is not an alert');
  // The failed discover activity itself is reported too (worker errors), with ids only.
  assert.ok(envelopes.some((t) => t.includes('"activityType":"discover"')), 'the failing activity reported');
});
