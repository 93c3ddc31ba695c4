// Security end to end on the real stack:
//  - API_TOKEN: every /api route and /metrics answer 401 without it; /healthz, /readyz and the static dashboard
//    files stay public;
//  - request bodies are size-limited (413 with the error shape);
//  - a catalogue of malformed and hostile inputs each get a 4xx whose message names the problem, and write nothing;
//  - the SSRF guard: POST /api/runs refuses private targets with 400 unless allowed, and a run started behind the
//    API's back on a worker without opt-in records `blocked_target` without one request reaching the target;
//  - no secret (API token, database password) appears in the logs of real API and worker processes during a run;
//  - no silent pending: with no worker on the task queue, GET /api/runs/:id says `waiting_for_worker`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import pg from 'pg';
import type { Config } from '../../src/config';
import { getFreePort } from '../../src/stack';
import { siteAuditWorkflowId } from '../../src/workflows/contracts';
import { startHostileServer, type HostileServer } from '../fixtures/hostileServer';
import { closedRunRow, connectTestClient, createTestDatabase, requireEnv, startTestApi, startTestWorker, testConfig, uid, waitFor, type RunningWorker, type TestDb } from '../helpers/stack';

const ROOT = path.join(__dirname, '..', '..');

interface Reply {
  status: number;
  body: any;
}

async function request(base: string, method: string, p: string, opts: { body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string>; token?: string | null } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Uint8Array | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${p}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}

async function countRows(tdb: TestDb): Promise<Record<string, number>> {
  const [row] = await tdb.db.query(
    `SELECT (SELECT count(*) FROM audit_runs)::int AS runs, (SELECT count(*) FROM page_audits)::int AS pages,
            (SELECT count(*) FROM frontier)::int AS frontier, (SELECT count(*) FROM page_links)::int AS links,
            (SELECT count(*) FROM audit_batches)::int AS batches`,
  );
  return row;
}

const TOKEN = `tok_${uid()}${uid()}${uid()}`;

describe('API security', () => {
  let tdb: TestDb;
  let client: Client;
  let api: { url: string; close(): Promise<void> };
  let fakeRunId: string;
  const call = (method: string, p: string, opts: Parameters<typeof request>[3] = {}) => request(api.url, method, p, { token: TOKEN, ...opts });

  before(async () => {
    tdb = await createTestDatabase('sec');
    // No opt-in to private targets, and no worker: nothing here may start a crawl.
    const config = testConfig({ API_TOKEN: TOKEN, ALLOW_PRIVATE_TARGETS: 'false', API_BODY_LIMIT: '256kb' });
    client = await connectTestClient(config);
    api = await startTestApi(config, tdb.db, client);
    [{ id: fakeRunId }] = await tdb.db.query(
      `INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, status, stage, options)
       VALUES ('site-audit:example.com:sec', 'sec', 'https://example.com/', 'example.com', 'completed', 'completed', '{}') RETURNING id`,
    );
  });

  after(async () => {
    await api?.close();
    await client?.connection.close();
    await tdb?.close();
  });

  test('with API_TOKEN set every /api route and /metrics need it; health and static files do not', async () => {
    const id = fakeRunId;
    const routes: Array<[string, string]> = [
      ['GET', '/api/runs'], ['POST', '/api/runs'], ['GET', `/api/runs/${id}`], ['GET', `/api/runs/${id}/pages`],
      ['GET', `/api/runs/${id}/report`], ['GET', `/api/runs/${id}/export`], ['GET', `/api/runs/${id}/compare`],
      ['POST', `/api/runs/${id}/cancel`], ['POST', `/api/runs/${id}/pause`], ['POST', `/api/runs/${id}/resume`],
      ['POST', `/api/runs/${id}/retry`], ['GET', '/api/checks'], ['POST', '/api/batches'], ['GET', '/api/batches'],
      ['GET', `/api/batches/${id}`], ['GET', '/api/metrics'], ['GET', '/api/openapi.json'], ['GET', '/api/no-such-route'],
      ['GET', '/metrics'],
    ];
    const wrong: Array<[string, Record<string, string>]> = [
      ['no header', {}],
      ['wrong token', { authorization: `Bearer ${TOKEN.slice(0, -1)}x` }],
      ['longer token', { authorization: `Bearer ${TOKEN}x` }],
      ['token without scheme', { authorization: TOKEN }],
      ['basic scheme', { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` }],
      ['empty bearer', { authorization: 'Bearer ' }],
    ];
    let refusals = 0;
    for (const [method, p] of routes) {
      for (const [label, headers] of wrong) {
        const r = await request(api.url, method, p, { headers, token: null, ...(method === 'POST' ? { body: { url: 'https://example.com' } } : {}) });
        assert.equal(r.status, 401, `${method} ${p} (${label})`);
        assert.equal(r.body.error.code, 'unauthorized');
        assert.match(r.body.error.message, /API token/);
        refusals++;
      }
      // The token in the query string is not a credential either.
      assert.equal((await request(api.url, method, `${p}?token=${TOKEN}`, { token: null })).status, 401);
      refusals++;
    }
    // With the token: not a 401 (each route answers on its own terms).
    for (const [method, p] of routes.filter(([m]) => m === 'GET')) {
      const r = await call(method, p);
      assert.notEqual(r.status, 401, `${method} ${p} with the token`);
    }
    // The scheme is case-insensitive (RFC 9110): a client that writes "bearer" is not refused.
    for (const scheme of ['bearer', 'BEARER']) {
      assert.equal((await request(api.url, 'GET', '/api/checks', { token: null, headers: { authorization: `${scheme} ${TOKEN}` } })).status, 200, scheme);
    }
    assert.equal((await request(api.url, 'GET', '/healthz', { token: null })).status, 200);
    assert.notEqual((await request(api.url, 'GET', '/readyz', { token: null })).status, 401);
    const dash = await request(api.url, 'GET', '/', { token: null });
    assert.notEqual(dash.status, 401, 'the static dashboard files are public (they hold no data; the API calls they make need the token)');
    console.log(JSON.stringify({ authRefusals: refusals, routes: routes.length }));
  });

  test('request bodies are size-limited: 413 with the error shape, nothing written', async () => {
    const before = await countRows(tdb);
    const big = { url: 'https://example.com', options: { include: ['x'.repeat(300 * 1024)] } };
    const r = await call('POST', '/api/runs', { body: big });
    assert.equal(r.status, 413);
    assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'details', 'message']);
    assert.equal(r.body.error.code, 'payload_too_large');
    assert.match(r.body.error.message, /body: is larger than the limit/);
    // Unauthenticated, a big body is refused before it is read.
    assert.equal((await request(api.url, 'POST', '/api/runs', { body: big, token: null })).status, 401);
    assert.deepEqual(await countRows(tdb), before);
  });

  test('malformed and hostile inputs each get a 4xx naming the problem, and write nothing', async () => {
    const F = fakeRunId;
    const url = 'https://example.com/';
    const post = (body: unknown, expect: RegExp, status = 400) => ({ method: 'POST', path: '/api/runs', body, expect, status });
    const raw = (rawBody: string | Uint8Array, contentType: string | null, expect: RegExp, status = 400) => ({
      method: 'POST', path: '/api/runs', raw: rawBody, headers: contentType ? { 'content-type': contentType } : {}, expect, status,
    });
    const get = (p: string, expect: RegExp, status = 400) => ({ method: 'GET', path: p, expect, status });
    const opt = (options: unknown, expect: RegExp) => post({ url, options }, expect);
    type Case = { method: string; path: string; body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string>; expect: RegExp; status: number };
    const cases: Array<[string, Case]> = [
      // Transport: JSON, content types, nesting.
      ['truncated JSON', raw('{"url":', 'application/json', /body: is not valid JSON/)],
      ['JSON string body', raw('"hello"', 'application/json', /body: is not valid JSON/)],
      ['JSON null body', raw('null', 'application/json', /body: is not valid JSON/)],
      ['JSON array body', raw('[]', 'application/json', /\(body\): .*(object|array)/i)],
      ['text/plain body', raw(JSON.stringify({ url }), 'text/plain', /content-type: must be application\/json/, 415)],
      ['form body', raw('url=https%3A%2F%2Fexample.com', 'application/x-www-form-urlencoded', /content-type: must be application\/json/, 415)],
      ['multipart body', raw('--x\r\nContent-Disposition: form-data; name="url"\r\n\r\nhttps://example.com\r\n--x--\r\n', 'multipart/form-data; boundary=x', /content-type/, 415)],
      ['body without content-type', raw(new TextEncoder().encode(JSON.stringify({ url })), null, /content-type: must be application\/json \(got none\)/, 415)],
      ['UTF-7 charset', raw(JSON.stringify({ url }), 'application/json; charset=utf-7', /content-type: charset must be utf-8 \(got utf-7\)/, 415)],
      ['deeply nested option', raw(`{"url":"${url}","options":{"thresholds":${'['.repeat(5000)}${']'.repeat(5000)}}}`, 'application/json', /options\.thresholds/)],
      ['100k-deep array body', raw(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'application/json', /\(body\)/)],
      // url
      ['missing url', post({}, /url: /)],
      ['url as number', post({ url: 123 }, /url: must be a string/)],
      ['url as array', post({ url: [url] }, /url: must be a string/)],
      ['url as object', post({ url: { href: url } }, /url: must be a string/)],
      ['url null', post({ url: null }, /url: must be a string/)],
      ['javascript: url', post({ url: 'javascript:alert(1)' }, /url: must be an absolute http\(s\) URL/)],
      ['file: url', post({ url: 'file:///etc/passwd' }, /url: must be an absolute http\(s\) URL/)],
      ['ftp: url', post({ url: 'ftp://example.com/' }, /url: must be an absolute http\(s\) URL/)],
      ['empty host', post({ url: 'http://' }, /url: must be an absolute http\(s\) URL/)],
      ['not a url', post({ url: 'not a url' }, /url: must be an absolute http\(s\) URL/)],
      ['3 KB url', post({ url: `${url}${'a'.repeat(3000)}` }, /url: must be at most 2048 characters/)],
      ['RTL override in host', post({ url: 'http://exa\u202Emple.com/' }, /url: /)],
      ['RTL override in path', post({ url: 'https://example.com/\u202Egnp.exe' }, /url: must be an absolute http\(s\) URL \(host name or IPv4; printable characters\)/)],
      ['NUL in url', post({ url: 'https://example.com/a\u0000b' }, /url: must not contain NUL bytes/)],
      ['CRLF in url', post({ url: 'https://example.com/\r\nX-Injected: 1' }, /url: must be an absolute http\(s\) URL \(host name or IPv4; printable characters\)/)],
      ['zero-width space in host', post({ url: 'https://exa\u200Bmple.com/' }, /url: must be an absolute http\(s\) URL \(host name or IPv4; printable characters\)/)],
      ['lone surrogate', post({ url: 'https://example.com/\ud800' }, /url: must be valid Unicode/)],
      ['SQL in url scheme', post({ url: "' OR 1=1; DROP TABLE audit_runs;--" }, /url: must be an absolute http\(s\) URL/)],
      // SSRF: private targets are refused at the API unless configured.
      ['loopback target', post({ url: 'http://127.0.0.1:1/' }, /url: target 127\.0\.0\.1 is a private\/blocked address/, 403)],
      ['localhost target', post({ url: 'http://localhost/' }, /url: target localhost \(resolves to .*\) is a private\/blocked address/, 403)],
      ['metadata target', post({ url: 'http://169.254.169.254/latest/meta-data/' }, /url: target 169\.254\.169\.254 is a private\/blocked/, 403)],
      ['IPv6 loopback', post({ url: 'http://[::1]/' }, /url: must be an absolute http\(s\) URL \(host name or IPv4; printable characters\)/)],
      ['RFC 1918 target', post({ url: 'http://10.0.0.1/' }, /private\/blocked/, 403)],
      ['decimal loopback', post({ url: 'http://2130706433/' }, /url: must be an absolute http\(s\) URL \(host name or IPv4; printable characters\)/)],
      ['mapped IPv4 loopback', post({ url: 'http://[::ffff:127.0.0.1]/' }, /url: must be an absolute http\(s\) URL \(host name or IPv4; printable characters\)/)],
      ['unique-local IPv6', post({ url: 'http://[fd00::1]/' }, /url: must be an absolute http\(s\) URL \(host name or IPv4; printable characters\)/)],
      // other fields
      ['path traversal key', post({ url, idempotencyKey: '../../etc/passwd' }, /idempotencyKey: may contain only/)],
      ['SQL key', post({ url, idempotencyKey: "x'; DROP TABLE audit_runs;--" }, /idempotencyKey: may contain only/)],
      ['numeric key', post({ url, idempotencyKey: 42 }, /idempotencyKey: must be a string/)],
      ['huge key', post({ url, idempotencyKey: 'a'.repeat(201) }, /idempotencyKey: /)],
      ['rerun as string', post({ url, rerun: 'yes' }, /rerun: must be a boolean/)],
      ['options as string', post({ url, options: 'fast' }, /options: /)],
      ['maxPages as string', opt({ maxPages: '100' }, /options\.maxPages: must be a number/)],
      ['negative maxPages', opt({ maxPages: -1 }, /options\.maxPages: must be >= 1/)],
      ['huge maxPages', opt({ maxPages: 1e9 }, /options\.maxPages: must be <= 100000/)],
      ['fractional maxPages', opt({ maxPages: 1.5 }, /options\.maxPages: must be an integer/)],
      ['Infinity maxPages', raw(`{"url":"${url}","options":{"maxPages":1e400}}`, 'application/json', /options\.maxPages: must be a number/)],
      ['10k-element include', opt({ include: Array.from({ length: 10_000 }, (_, i) => `/p${i}`) }, /options\.include: at most 50 patterns/)],
      ['number in exclude', opt({ exclude: [123] }, /options\.exclude\[0\]: /)],
      ['empty pattern', opt({ include: [''] }, /options\.include\[0\]: /)],
      ['unknown option', opt({ unknownKey: 1 }, /options\.unknownKey: is not a known field/)],
      ['unknown top-level key', post({ url, admin: true }, /^admin: is not a known field/)],
      // Each problem once, in words of its own (the schema-wide "must be a string" stood in for "empty", and a domain
      // that failed two checks was named twice).
      ['empty idempotency key', post({ url, idempotencyKey: '' }, /^idempotencyKey: must not be empty$/)],
      ['a bad batch domain, named once', { method: 'POST', path: '/api/batches', body: { domains: ['not_a_domain'] }, expect: /^domains\[0\]: must be an http\(s\) URL or a host name$/, status: 400 }],
      ['__proto__ key', raw(`{"url":"${url}","__proto__":{"isAdmin":true}}`, 'application/json', /__proto__: is not a known field/)],
      ['constructor.prototype key', raw(`{"url":"${url}","options":{"constructor":{"prototype":{"polluted":true}}}}`, 'application/json', /options\.constructor: is not a known field/)],
      ['CRLF in userAgent', opt({ userAgent: 'Bot\r\nX-Injected: 1' }, /options\.userAgent: must not contain control/)],
      ['empty userAgent', opt({ userAgent: '' }, /options\.userAgent: /)],
      ['javascript: sitemap', opt({ sitemaps: ['javascript:alert(1)'] }, /options\.sitemaps\[0\]: must be an absolute http\(s\) URL/)],
      ['huge crawlDelayMs', opt({ crawlDelayMs: 999_999 }, /options\.crawlDelayMs: must be <= 60000/)],
      ['respectRobots as string', opt({ respectRobots: 'false' }, /options\.respectRobots: must be a boolean/)],
      ['unknown threshold', opt({ thresholds: { nope: 1 } }, /options\.thresholds\.nope: is not a known field/)],
      // ids and query strings
      ['path traversal id', get('/api/runs/..%2F..%2Fetc%2Fpasswd', /id: is not a valid run id/)],
      ['SQL id', get(`/api/runs/${encodeURIComponent("' OR 1=1--")}`, /id: is not a valid run id/)],
      ['NUL id', get('/api/runs/%00', /id: must not contain NUL bytes/)],
      ['RTL id', get(`/api/runs/${encodeURIComponent('abc\u202Eexe')}`, /id: is not a valid run id/)],
      ['400-char id', get(`/api/runs/${'a'.repeat(400)}`, /id: /)],
      ['unknown uuid', get('/api/runs/00000000-0000-0000-0000-000000000000', /run 00000000-0000-0000-0000-000000000000 not found/, 404)],
      ['array in query', get('/api/runs?status=running&status=failed', /status: /)],
      ['SQL in status', get(`/api/runs?status=${encodeURIComponent("completed' OR '1'='1")}`, /status: /)],
      ['limit not a number', get('/api/runs?limit=abc', /limit: /)],
      ['limit too big', get('/api/runs?limit=100000', /limit: /)],
      ['unknown query key', get('/api/runs?evil=1', /^evil: is not a known field/)],
      ['SQL cursor', get(`/api/runs/${F}/pages?cursor=${encodeURIComponent('1; DROP TABLE page_audits')}`, /cursor: is not a valid cursor/)],
      ['bracket query key', get(`/api/runs/${F}/pages?status[]=ok`, /status\[\]: is not a known field/)],
      ['SQL issue code', get(`/api/runs/${F}/pages?code=${encodeURIComponent("x' OR 1=1")}`, /code: is not an issue code/)],
      ['negative page limit', get(`/api/runs/${F}/pages?limit=-5`, /limit: /)],
      ['cancel a finished run', { method: 'POST', path: `/api/runs/${F}/cancel`, expect: /run is completed/, status: 409 }],
      ['pause a finished run', { method: 'POST', path: `/api/runs/${F}/pause`, expect: /run is completed/, status: 409 }],
      ['unknown route with traversal', get('/api/no-such-route/..%2F..%2Fetc%2Fpasswd', /No such route/, 404)],
    ];

    const before = await countRows(tdb);
    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    for (const [name, c] of cases) {
      const r = await call(c.method, c.path, { body: c.body, raw: c.raw, headers: c.headers });
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      const msg = r.body?.error?.message;
      if (r.status !== c.status || typeof r.body?.error?.code !== 'string' || typeof msg !== 'string' || !c.expect.test(msg)) {
        failures.push(`${name}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      }
    }
    assert.deepEqual(failures, [], failures.join('\n'));
    assert.ok(cases.length >= 50);
    assert.deepEqual(await countRows(tdb), before, 'no input wrote anything');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined, 'no prototype pollution');
    console.log(JSON.stringify({ hostileInputs: cases.length, statuses, rowsBefore: before, rowsAfter: await countRows(tdb) }));
  });
});

describe('SSRF guard end to end (no opt-in)', () => {
  let server: HostileServer;
  let tdb: TestDb;
  let client: Client;
  let worker: RunningWorker;
  let config: Config;

  before(async () => {
    server = await startHostileServer();
    tdb = await createTestDatabase('ssrf');
    // ALLOW_PRIVATE_TARGETS unset (false) and TARGET_ALLOWLIST unset: the defaults of a deployment.
    config = testConfig({ ALLOW_PRIVATE_TARGETS: 'false' });
    assert.equal(config.crawl.allowPrivateTargets, false);
    assert.deepEqual(config.crawl.targetAllowlist, []);
    client = await connectTestClient(config);
    worker = await startTestWorker(config, tdb.db);
  });

  after(async () => {
    await worker?.stop();
    await client?.connection.close();
    await tdb?.close();
    await server?.close();
  });

  test('the API refuses the start, and a run started directly records blocked_target without reaching the target', async () => {
    const api = await startTestApi(config, tdb.db, client);
    try {
      const r = await request(api.url, 'POST', '/api/runs', { body: { url: `${server.origin}/ok` } });
      // 403: a well-formed request the target policy refuses (a 400 would say the request itself is malformed).
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'blocked_target');
      assert.equal(r.body.error.details[0].field, 'url');
      assert.match(r.body.error.message, /private\/blocked/);
    } finally {
      await api.close();
    }
    // Behind the API's back (e.g. `temporal workflow start`), the worker's guard still refuses.
    const siteUrl = `${server.origin}/ok`;
    const runKey = `ssrf-${uid()}`;
    const handle = await client.workflow.start('siteAuditWorkflow', {
      workflowId: siteAuditWorkflowId(new URL(siteUrl).host, runKey),
      taskQueue: config.temporal.taskQueue,
      args: [{ siteUrl, runKey, requestTimeoutMs: 2_000, fetchRetries: 0 }],
    });
    // Its one URL refused, the run audited nothing: it fails, saying why.
    await assert.rejects(handle.result(), (err: Error & { cause?: Error }) => {
      assert.equal(err.cause?.message, 'blocked_target: every page failed (1 page)');
      return true;
    });
    const rows = await tdb.db.query(`SELECT url, status, failure_reason, failure_detail FROM page_audits`);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].failure_reason, 'blocked_target', JSON.stringify(rows[0]));
    assert.match(rows[0].failure_detail, /127\.0\.0\.1/);
    const [{ id }] = await tdb.db.query(`SELECT id FROM audit_runs`);
    assert.deepEqual(await closedRunRow(tdb.db, id, 'status, error, audited, failed'), { status: 'failed', error: 'blocked_target: every page failed (1 page)', audited: 0, failed: 1 });
    assert.equal(server.requests.length, 0, 'not one request (robots.txt, sitemap or page) reached the private target');
  });
});

describe('no silent pending', () => {
  let server: HostileServer;
  let tdb: TestDb;
  let client: Client;
  let worker: RunningWorker | null = null;
  let config: Config;

  before(async () => {
    server = await startHostileServer();
    tdb = await createTestDatabase('pending');
    // Private targets refused except the fixture's loopback address (allowlist, not ALLOW_PRIVATE_TARGETS).
    config = testConfig({ ALLOW_PRIVATE_TARGETS: 'false', TARGET_ALLOWLIST: '127.0.0.1' });
    client = await connectTestClient(config);
  });

  after(async () => {
    await worker?.stop();
    await client?.connection.close();
    await tdb?.close();
    await server?.close();
  });

  test('a run terminated in Temporal while it waited for a worker ends failed instead of waiting forever', async () => {
    const api = await startTestApi(config, tdb.db, client);
    try {
      const started = await request(api.url, 'POST', '/api/runs', { body: { url: `${server.origin}/ok`, idempotencyKey: 'never-picked-up', options: { maxPages: 5 } } });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      await waitFor(async () => ((await request(api.url, 'GET', `/api/runs/${started.body.runId}`)).body.waitingForWorker ? true : null), 60_000, 250);
      await client.workflow.getHandle(started.body.workflowId).terminate('operator stop: no worker came');
      const view = (await request(api.url, 'GET', `/api/runs/${started.body.runId}`)).body;
      assert.equal(view.status, 'failed', JSON.stringify(view));
      assert.equal(view.waitingForWorker, false);
      assert.match(view.error, /: operator stop: no worker came$/);
    } finally {
      await api.close();
    }
  });

  test('GET /api/runs/:id says waiting_for_worker while no worker polls, then the run completes once one does', async () => {
    const api = await startTestApi(config, tdb.db, client);
    try {
      const started = await request(api.url, 'POST', '/api/runs', { body: { url: `${server.origin}/ok`, options: { maxPages: 5 } } });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const t0 = Date.now();
      const waiting = await waitFor(async () => {
        const r = await request(api.url, 'GET', `/api/runs/${started.body.runId}`);
        return r.body.waitingForWorker ? r.body : null;
      }, 60_000, 250);
      const saidSoMs = Date.now() - t0;
      assert.equal(waiting.stage, 'waiting_for_worker');
      assert.equal(waiting.status, 'queued');
      assert.ok(saidSoMs < 60_000);

      const t1 = Date.now();
      worker = await startTestWorker(config, tdb.db);
      const done = await waitFor(async () => {
        const r = await request(api.url, 'GET', `/api/runs/${started.body.runId}`);
        return r.body.status === 'completed' ? r.body : null;
      }, 90_000, 250);
      assert.equal(done.waitingForWorker, false);
      assert.equal(done.stage, 'completed');
      assert.equal(done.counters.audited, 2, 'the run audited /ok and /malformed once a worker came');
      console.log(JSON.stringify({ waitingForWorkerReportedAfterMs: saidSoMs, completedAfterWorkerStartMs: Date.now() - t1 }));
    } finally {
      await api.close();
    }
  });
});

describe('no secret in logs', () => {
  let server: HostileServer;
  let tdb: TestDb;
  let role: string;
  const password = `Pw${uid()}${uid()}Zq`;
  const children: ChildProcess[] = [];

  const adminQuery = async (sql: string) => {
    const c = new pg.Client({ connectionString: requireEnv('SITESWEEP_TEST_PG_ADMIN_URL') });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };

  before(async () => {
    server = await startHostileServer();
    tdb = await createTestDatabase('secrets');
    // A role of our own, so the password is a string that appears nowhere else.
    role = `sec_${uid()}`;
    await adminQuery(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await tdb?.close();
    await adminQuery(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await server?.close();
  });

  test('neither the API token nor the database password appears in the API or worker logs during a run', async () => {
    const dbUrl = new URL(tdb.url);
    dbUrl.username = role;
    dbUrl.password = password;
    const port = await getFreePort();
    const env = {
      ...process.env,
      DATABASE_URL: dbUrl.toString(),
      API_TOKEN: TOKEN,
      API_PORT: String(port),
      API_HOST: '127.0.0.1',
      TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'),
      TEMPORAL_TASK_QUEUE: `test-${uid()}`,
      ALLOW_PRIVATE_TARGETS: 'false',
      TARGET_ALLOWLIST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      METRICS_PORT: '',
    };
    let output = '';
    const spawnPart = (script: string) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script)], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
      children.push(child);
      return child;
    };
    const apiProc = spawnPart('src/api/server.ts');
    const workerProc = spawnPart('src/worker.ts');
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/healthz`)).ok, 60_000, 250);
    await waitFor(async () => output.includes('worker started'), 60_000, 250);

    // Traffic that might tempt a logger: a refused token, a bad request, and a full run.
    assert.equal((await request(base, 'GET', '/api/runs', { token: `${TOKEN}-wrong` })).status, 401);
    assert.equal((await request(base, 'POST', '/api/runs', { token: TOKEN, body: { url: 'nope' } })).status, 400);
    const started = await request(base, 'POST', '/api/runs', { token: TOKEN, body: { url: `${server.origin}/ok`, options: { maxPages: 5 } } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const done = await waitFor(async () => {
      const r = await request(base, 'GET', `/api/runs/${started.body.runId}`, { token: TOKEN });
      return r.body.status === 'completed' ? r.body : null;
    }, 90_000, 300);
    assert.equal(done.counters.audited, 2);

    const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
    apiProc.kill('SIGTERM');
    workerProc.kill('SIGTERM');
    await Promise.race([Promise.all([exited(apiProc), exited(workerProc)]), new Promise((r) => setTimeout(r, 15_000))]);

    assert.match(output, /api listening/, 'the API log was captured');
    assert.match(output, /worker started/, 'the worker log was captured');
    assert.match(output, /run requested/, 'the run was logged');
    assert.ok(!output.includes(TOKEN), 'the API token appears in the logs');
    assert.ok(!output.includes(password), 'the database password appears in the logs');
    assert.ok(!output.includes(encodeURIComponent(password)));
    console.log(JSON.stringify({ logBytesChecked: output.length, logLines: output.split('\n').length }));
  });
});
