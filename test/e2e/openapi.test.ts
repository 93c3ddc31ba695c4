// The OpenAPI description covers every route the app registers, its examples validate, and requests built from it get
// the status codes it documents (on the real stack, with a real completed run and batch to point at).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Express } from 'express';
import { createApp } from '../../src/api/app';
import { ROUTES, toOpenApiPath } from '../../src/api/openapi';
import { createLogger } from '../../src/logger';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { connectTestClient, createTestDatabase, startTestApi, startTestWorker, testConfig, waitFor, type RunningWorker, type TestDb } from '../helpers/stack';

/** method + path of every route registered on the app, including mounted routers. */
function registeredRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      // app.all (the 405/OPTIONS answer of every described path) registers every method: not an operation.
      if (layer.route && Object.keys(layer.route.methods).length > 5) continue;
      if (layer.route) {
        // `_all`: the 405/OPTIONS answer registered for every described path, not an operation of its own.
        for (const m of Object.keys(layer.route.methods)) if (m !== '_all') out.push(`${m} ${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as any).router.stack);
  return [...new Set(out)].sort();
}

describe('OpenAPI description', () => {
  let site: FixtureSite;
  let tdb: TestDb;
  let client: Client;
  let worker: RunningWorker;
  let api: { url: string; close(): Promise<void> };
  let doc: any;
  let runId: string;
  let batchId: string;
  const config = testConfig();

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method: method.toUpperCase(),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text };
  };

  before(async () => {
    site = await startFixtureSite({ slowMs: 50 });
    tdb = await createTestDatabase('oas');
    client = await connectTestClient(config);
    worker = await startTestWorker(config, tdb.db);
    api = await startTestApi(config, tdb.db, client);
    doc = JSON.parse((await call('get', '/api/openapi.json')).text);
    const run = JSON.parse((await call('post', '/api/runs', { url: site.origin, options: { maxPages: 3, requestTimeoutMs: 1000, fetchRetries: 0 } })).text);
    runId = run.runId;
    const batch = JSON.parse((await call('post', '/api/batches', { domains: [site.origin], options: { maxPages: 2, requestTimeoutMs: 1000, fetchRetries: 0 } })).text);
    batchId = batch.batchId;
    await waitFor(async () => JSON.parse((await call('get', `/api/runs/${runId}`)).text).status === 'completed', 60_000);
    await waitFor(async () => JSON.parse((await call('get', `/api/batches/${batchId}`)).text).status === 'completed', 60_000);
  });

  after(async () => {
    await api?.close();
    await worker?.stop();
    await client?.connection.close();
    await tdb?.close();
    await site?.close();
  });

  test('every route the app registers is described, and nothing else', () => {
    const app = createApp({ db: tdb.db, client, config, log: createLogger('silent') });
    const registered = registeredRoutes(app);
    const described = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m} ${p}`)).sort();
    assert.deepEqual(registered.map((r) => { const [m, p] = r.split(' '); return `${m} ${toOpenApiPath(p)}`; }).sort(), described);
    assert.ok(described.length >= 20, `${described.length} operations`);
  });

  test('the request examples validate against the same zod schemas', () => {
    const withBodies = ROUTES.filter((r) => r.body);
    assert.ok(withBodies.length >= 3);
    for (const r of withBodies) {
      const parsed = r.body!.schema.safeParse(r.body!.example);
      assert.ok(parsed.success, `${r.method} ${r.path}: ${parsed.success ? '' : parsed.error.message}`);
      const inDoc = doc.paths[toOpenApiPath(r.path)][r.method].requestBody.content['application/json'].example;
      assert.deepEqual(inDoc, r.body!.example);
    }
  });

  test('requests built from the description get documented status codes', async () => {
    const ids: Record<string, string> = { runs: runId, batches: batchId };
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        let url = path.replace('{id}', ids[path.split('/')[2]] ?? 'x');
        const required = (op.parameters ?? []).filter((p: any) => p.in === 'query' && p.required);
        if (required.length) url += `?${required.map((p: any) => `${p.name}=${encodeURIComponent(p.schema.enum?.[0] ?? 'x')}`).join('&')}`;
        const body = op.requestBody?.content['application/json'].example;
        const res = await call(method, url, body ?? (method === 'post' ? {} : undefined));
        assert.ok(String(res.status) in op.responses, `${method.toUpperCase()} ${url} → ${res.status} is not documented (${Object.keys(op.responses)}): ${res.text.slice(0, 200)}`);
        checked++;
        if (path.includes('{id}')) {
          const missing = await call(method, path.replace('{id}', '00000000-0000-0000-0000-000000000000') + (required.length ? url.slice(url.indexOf('?')) : ''), method === 'post' ? {} : undefined);
          assert.ok(String(missing.status) in op.responses, `${method.toUpperCase()} ${path} (unknown id) → ${missing.status} not documented`);
          assert.equal(missing.status, 404, `${method.toUpperCase()} ${path} with an unknown id`);
        }
      }
    }
    assert.ok(checked >= 20);
  });

  test('the reference page lists every path', async () => {
    const page = await call('get', '/api/docs');
    assert.equal(page.status, 200);
    for (const p of Object.keys(doc.paths)) assert.ok(page.text.includes(p.replace(/[{}]/g, (c) => c)), p);
  });
});
