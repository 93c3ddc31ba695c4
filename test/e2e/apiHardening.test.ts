// Regression tests for what an outside fuzzer and a set of hostile requests found (issue 10): input PostgreSQL cannot
// store is a 400 naming the field, unsupported methods get a JSON 405, every other path a JSON 404, and one target
// policy guards every way a URL enters through the API. No worker polls this task queue: nothing is crawled.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { openApiDocument } from '../../src/api/openapi';
import type { Config } from '../../src/config';
import { connectTestClient, createTestDatabase, startTestApi, testConfig, uid, type TestDb } from '../helpers/stack';

interface Answer { status: number; headers: Headers; text: string; body: any }

/** node:http, which (unlike fetch) sends any method, TRACE included. */
function raw(base: string, method: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body: any = null;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {}
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers, text, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function send(base: string, method: string, path: string, body?: string | object, headers: Record<string, string> = {}): Promise<Answer> {
  if (method === 'TRACE' || method === 'OPTIONS') return raw(base, method, path);
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, headers: res.headers, text, body: parsed };
}

describe('API hardening', () => {
  let tdb: TestDb;
  let client: Client;
  const apis: Array<{ url: string; close(): Promise<void> }> = [];
  let base: string;
  let runId: string;

  const apiWith = async (overrides: Record<string, string>): Promise<{ url: string; config: Config }> => {
    const config = testConfig({ ALLOW_PRIVATE_TARGETS: 'false', ...overrides });
    const api = await startTestApi(config, tdb.db, client);
    apis.push(api);
    return { url: api.url, config };
  };

  before(async () => {
    tdb = await createTestDatabase('harden');
    client = await connectTestClient(testConfig());
    // Loopback allowed so a run can be started (never crawled: no worker on this task queue).
    base = (await apiWith({ ALLOW_PRIVATE_TARGETS: 'true' })).url;
    const r = await send(base, 'POST', '/api/runs', { url: 'http://127.0.0.1:9/', idempotencyKey: `h-${uid()}` });
    assert.equal(r.status, 202, r.text);
    runId = r.body.runId;
  });

  after(async () => {
    for (const a of apis) await a.close();
    await client?.connection.close();
    await tdb?.close();
  });

  test('a NUL byte in any filter, query or body field is a 400 naming the field (was a 500 from PostgreSQL)', async () => {
    for (const [path, field] of [
      ['/api/runs?site=%00', 'site'],
      ['/api/runs?site=a%00b', 'site'],
      [`/api/runs/${runId}/pages?code=a%00`, 'code'],
      [`/api/runs/${runId}/report?code=%00`, 'code'],
    ] as const) {
      const r = await send(base, 'GET', path);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.equal(r.body.error.code, 'invalid_request');
      assert.match(r.body.error.message, new RegExp(`^${field}: `), r.text);
    }
    const body = await send(base, 'POST', '/api/runs', { url: 'http://127.0.0.1:9/', options: { userAgent: 'bot\u0000' } });
    assert.equal(body.status, 400);
    assert.match(body.body.error.message, /^options\.userAgent: must not contain NUL/);
    const batch = await send(base, 'POST', '/api/batches', { domains: ['example.com'], metadata: { 'k\u0000': 'v' } });
    assert.equal(batch.status, 400);
    assert.match(batch.body.error.message, /^metadata\.k.: must not contain NUL bytes/);
    const path = await send(base, 'GET', '/api/runs/abc%00def');
    assert.equal(path.status, 400);
    assert.match(path.body.error.message, /^id: /);
  });

  test('out-of-range cursors and numbers are a 400 naming the field (was "out of range for type bigint")', async () => {
    for (const [path, field] of [
      [`/api/runs/${runId}/pages?cursor=9223372036854775808`, 'cursor'],
      [`/api/runs/${runId}/pages?cursor=99999999999999999999`, 'cursor'],
      [`/api/runs/${runId}/report?code=missing_title&cursor=9223372036854775808`, 'cursor'],
      [`/api/runs/${runId}/pages?statusCode=99999999999`, 'statusCode'],
      [`/api/runs/${runId}/pages?limit=1e400`, 'limit'],
      ['/api/runs?limit=-1', 'limit'],
      // Only decimal digits: an empty or blank value was a filter on status 0, and hex or exponents were numbers.
      [`/api/runs/${runId}/pages?statusCode=`, 'statusCode'],
      [`/api/runs/${runId}/pages?statusCode=%20`, 'statusCode'],
      [`/api/runs/${runId}/pages?statusCode=0x1F4`, 'statusCode'],
      [`/api/runs/${runId}/pages?statusCode=2e2`, 'statusCode'],
      ['/api/runs?limit=%0A3', 'limit'],
      ['/api/runs?limit=1&limit=2', 'limit'],
    ] as const) {
      const r = await send(base, 'GET', path);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.match(r.body.error.message, new RegExp(`^${field}: `), r.text);
    }
    const filtered = await send(base, 'GET', `/api/runs/${runId}/pages?statusCode=404&limit=7`);
    assert.equal(filtered.status, 200, filtered.text);
    const ok = await send(base, 'GET', `/api/runs/${runId}/pages?cursor=922337203685477580`);
    assert.equal(ok.status, 200, 'the largest documented cursor is accepted');
  });

  test('invalid UTF-8 in a query, a path or a body is a 400 naming it', async () => {
    const q = await send(base, 'GET', '/api/runs?site=%FF%FE');
    assert.equal(q.status, 400);
    assert.match(q.body.error.message, /^site: is not valid UTF-8/);
    const p = await send(base, 'GET', '/api/runs/%FF');
    assert.equal(p.status, 400);
    assert.match(p.body.error.message, /^id: is not valid UTF-8/);
    const res = await fetch(`${base}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from([0x7b, 0x22, 0x75, 0x72, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]) });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error.message, /^body: is not valid UTF-8/);
    const surrogate = await send(base, 'POST', '/api/runs', '{"url":"http://127.0.0.1:9/","idempotencyKey":"\\ud800"}');
    assert.equal(surrogate.status, 400);
    assert.match(surrogate.body.error.message, /^idempotencyKey: must be valid Unicode/);
  });

  test('retry of a running run is a documented 409; url and domains are described with their patterns', async () => {
    const r = await send(base, 'POST', `/api/runs/${runId}/retry`, {});
    assert.equal(r.status, 409);
    const doc: any = openApiDocument();
    assert.ok(doc.paths['/api/runs/{id}/retry'].post.responses['409']);
    const body = doc.paths['/api/runs'].post.requestBody.content['application/json'].schema;
    assert.ok(body.properties.url.pattern, 'url has a pattern');
    assert.equal(new RegExp(body.properties.url.pattern).test(''), false);
    assert.equal(new RegExp(body.properties.url.pattern).test('0'), false);
    const domains = doc.paths['/api/batches'].post.requestBody.content['application/json'].schema.properties.domains;
    assert.equal(new RegExp(domains.items.pattern).test('0'), false);
    assert.equal(new RegExp(domains.items.pattern).test('example.com'), true);
    // Every route that reads the database documents the outage answer.
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [m, op] of Object.entries(ops)) {
        if (['/healthz', '/readyz', '/api/checks', '/api/openapi.json', '/api/docs'].includes(p)) continue;
        assert.ok(op.responses['503'], `${m} ${p} documents 503`);
      }
    }
  });

  test('unsupported methods on known paths: JSON 405 with Allow; OPTIONS 204 with Allow; anything else a JSON 404', async () => {
    for (const [method, path] of [['TRACE', '/api/runs'], ['DELETE', '/api/runs'], ['PUT', `/api/runs/${runId}`], ['GET', `/api/runs/${runId}/cancel`], ['PATCH', '/api/batches']] as const) {
      const r = await send(base, method, path);
      assert.equal(r.status, 405, `${method} ${path}: ${r.status} ${r.text}`);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(r.body.error.code, 'method_not_allowed');
      assert.ok(r.headers.get('allow'), 'Allow header');
    }
    const opt = await send(base, 'OPTIONS', '/api/runs');
    assert.equal(opt.status, 204);
    assert.equal(opt.headers.get('allow'), 'POST, GET, HEAD, OPTIONS');
    // The same answer on paths served by a resource's own router (Express's router would answer 200 itself).
    for (const [path, allow] of [['/api/batches', 'POST, GET, HEAD, OPTIONS'], [`/api/runs/${runId}/pages`, 'GET, HEAD, OPTIONS']] as const) {
      const o = await send(base, 'OPTIONS', path);
      assert.equal(o.status, 204, path);
      assert.equal(o.headers.get('allow'), allow, path);
    }
    for (const [method, path] of [['TRACE', '/nope'], ['OPTIONS', '/nope'], ['GET', '/api/nope'], ['GET', '/nope.html'], ['TRACE', '/']] as const) {
      const r = await send(base, method, path);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/, `${method} ${path} answers JSON`);
      assert.equal(r.body.error.code, 'not_found');
    }
  });

  test("requests Node's HTTP parser refuses get the API's JSON error too: 431 for a 20 KB URL, 400 for garbage", async () => {
    // They used to get an empty answer, which a client cannot tell from a crash.
    const long = await send(base, 'GET', `/api/runs?site=${'a'.repeat(20_000)}`);
    assert.equal(long.status, 431);
    assert.match(long.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(long.body.error.code, 'headers_too_large');
    const { port } = new URL(base);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(body, { error: { code: 'bad_request', message: 'request: is not valid HTTP/1.1', details: null } });
  });

  test('a body refused on a route that takes none is answered as documented: every /api operation lists 400, 413 and 415', async () => {
    const doc = openApiDocument() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    for (const [p, ops] of Object.entries(doc.paths)) {
      if (!p.startsWith('/api/')) continue;
      for (const [method, op] of Object.entries(ops)) for (const code of ['400', '413', '415']) assert.ok(op.responses[code], `${method} ${p} documents ${code}`);
    }
    const text = await send(base, 'POST', `/api/runs/${runId}/cancel`, '{}', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415, text.text);
    // A GET with a malformed JSON body (node:http: fetch sends no body with a GET).
    const raw400 = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/api/checks`, { method: 'GET', headers: { 'content-type': 'application/json', 'content-length': '5' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{"a":');
    });
    assert.equal(raw400, 400);
  });

  describe('one target policy for every URL the API takes', () => {
    const batchRows = async () => (await tdb.db.query(`SELECT count(*)::int AS n FROM audit_batches`))[0].n as number;

    test('batches refuse private and link-local domains like runs do, naming the entry, writing nothing', async () => {
      const { url } = await apiWith({});
      const before = await batchRows();
      for (const [domains, field] of [
        [['example.com', 'http://10.0.0.1/'], 'domains[1]'],
        [['169.254.169.254'], 'domains[0]'],
        [['https://example.org/', 'http://127.0.0.2:8080/'], 'domains[1]'],
      ] as const) {
        const r = await send(url, 'POST', '/api/batches', { domains });
        assert.equal(r.status, 403, r.text);
        assert.equal(r.body.error.code, 'blocked_target');
        assert.equal(r.body.error.details[0].field, field);
      }
      const run = await send(url, 'POST', '/api/runs', { url: 'http://10.0.0.1/' });
      assert.equal(run.status, 403);
      assert.equal(run.body.error.details[0].field, 'url');
      assert.equal(await batchRows(), before, 'no batch row written');
    });

    test('options.sitemaps URLs are checked before a run or batch starts', async () => {
      const { url } = await apiWith({});
      const runs = (await tdb.db.query(`SELECT count(*)::int AS n FROM audit_runs`))[0].n;
      const sitemaps = ['https://example.com/sitemap.xml', 'http://169.254.169.254/latest/meta-data/'];
      const r = await send(url, 'POST', '/api/runs', { url: 'https://example.com/', options: { sitemaps } });
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.error.details[0].field, 'options.sitemaps[1]');
      const b = await send(url, 'POST', '/api/batches', { domains: ['example.com'], options: { sitemaps: ['http://127.0.0.1/s.xml'] } });
      assert.equal(b.status, 403, b.text);
      assert.equal(b.body.error.details[0].field, 'options.sitemaps[0]');
      assert.equal((await tdb.db.query(`SELECT count(*)::int AS n FROM audit_runs`))[0].n, runs);
    });

    test('ALLOW_PRIVATE_TARGETS allows loopback only; TARGET_ALLOWLIST the rest; the metadata range only by explicit CIDR', async () => {
      const loop = await apiWith({ ALLOW_PRIVATE_TARGETS: 'true' });
      for (const target of ['http://10.0.0.1/', 'http://192.168.0.10/', 'http://169.254.169.254/']) {
        const r = await send(loop.url, 'POST', '/api/runs', { url: target });
        assert.equal(r.status, 403, `${target} with ALLOW_PRIVATE_TARGETS=true: ${r.text}`);
      }
      const key = `lo-${uid()}`;
      const lo = await send(loop.url, 'POST', '/api/runs', { url: 'http://127.0.0.1:9/', idempotencyKey: key });
      assert.equal(lo.status, 202, lo.text);

      const broad = await apiWith({ TARGET_ALLOWLIST: '10.0.0.0/8,0.0.0.0/0' });
      const ten = await send(broad.url, 'POST', '/api/batches', { domains: ['10.1.2.3'], idempotencyKey: `ten-${uid()}` });
      assert.equal(ten.status, 202, ten.text);
      const meta = await send(broad.url, 'POST', '/api/runs', { url: 'http://169.254.169.254/' });
      assert.equal(meta.status, 403, 'a broad CIDR does not open the metadata range');
      assert.match(meta.body.error.message, /explicit CIDR/);

      const explicit = await apiWith({ TARGET_ALLOWLIST: '169.254.0.0/16' });
      const ok = await send(explicit.url, 'POST', '/api/runs', { url: 'http://169.254.169.254/', idempotencyKey: `meta-${uid()}` });
      assert.equal(ok.status, 202, ok.text);
    });
  });
});
