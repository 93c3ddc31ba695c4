// Hostile sites end to end: a site run (API → Temporal → worker → PostgreSQL) over one origin that serves every
// hostile behaviour of test/fixtures/hostileServer.ts. Each URL must end as a page record with the right
// failureReason inside its time and size caps, the worker's memory must stay bounded, and the run must complete.
// The fixture is on 127.0.0.1: the test opts in with TARGET_ALLOWLIST=127.0.0.1 (not ALLOW_PRIVATE_TARGETS), so the
// redirect to 169.254.169.254 is still refused by the SSRF guard.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { HOSTILE_SITE_LINKS, startHostileServer, type HostileServer } from '../fixtures/hostileServer';
import { startServices, type TestServices, createTestDatabase, testConfig, waitFor, type TestDb } from '../helpers/stack';

const TIMEOUT_MS = 1_500;
const RETRIES = 2;
const MAX_BYTES = 5_000_000;
const MB = 1024 * 1024;

/** What each URL must end as: failureReason (null = audited), and for some the HTTP status / attempts. */
const EXPECTED: Record<string, { failureReason: string | null; statusCode?: number; attempts?: number }> = {
  '/site': { failureReason: null, statusCode: 200 },
  '/ok': { failureReason: null, statusCode: 200 },
  '/malformed': { failureReason: null, statusCode: 200 },
  '/latin1': { failureReason: null, statusCode: 200 },
  '/not-html': { failureReason: 'not_html' },
  '/binary-as-html': { failureReason: 'not_html', statusCode: 200 },
  '/not-found': { failureReason: null, statusCode: 404 },
  '/gzip': { failureReason: null, statusCode: 200 },
  '/slow-drip': { failureReason: 'timeout', attempts: RETRIES + 1 },
  '/huge': { failureReason: 'too_large', statusCode: 200, attempts: 1 },
  '/huge-declared': { failureReason: 'too_large', statusCode: 200, attempts: 1 },
  '/gzip-bomb': { failureReason: 'too_large', statusCode: 200, attempts: 1 },
  '/loop-a': { failureReason: 'redirect_loop', statusCode: 302 },
  '/loop-b': { failureReason: 'redirect_loop', statusCode: 302 },
  '/redirect-chain/3': { failureReason: null, statusCode: 302 },
  '/redirect-private': { failureReason: 'blocked_target', attempts: 1 },
  '/rate-limited': { failureReason: null, statusCode: 200, attempts: 2 },
  '/always-503': { failureReason: 'http_5xx', statusCode: 503, attempts: RETRIES + 1 },
  '/flaky': { failureReason: null, statusCode: 200, attempts: 3 },
  '/reset-connection': { failureReason: 'connection_reset', attempts: RETRIES + 1 },
};

describe('hostile site end to end', () => {
  let server: HostileServer;
  let tdb: TestDb;
  let api: { url: string; close(): Promise<void> };
  let services: TestServices | undefined;

  before(async () => {
    server = await startHostileServer();
    // The fixture builds its gzip bomb lazily (100 MB through gzip, seconds of CPU in this process): build it now,
    // so the crawl measures the crawler, not the fixture. Headers come once it is built; the body is not read.
    await new Promise<void>((resolve, reject) => {
      http.get(`${server.origin}/gzip-bomb`, (res) => {
        res.destroy();
        resolve();
      }).on('error', reject);
    });
    server.reset();
    tdb = await createTestDatabase('hostile');
    const config = testConfig({
      ALLOW_PRIVATE_TARGETS: 'false',
      TARGET_ALLOWLIST: '127.0.0.1',
      FETCH_MAX_BYTES: String(MAX_BYTES),
      // The breaker has its own test (politeness.test.ts); here every URL must show its own failure.
      BREAKER_FAILURE_THRESHOLD: '0',
    });
    services = await startServices(config, tdb.db);
    ({ api } = services);
  });

  after(async () => {
    await services?.stop();
    await tdb?.close();
    await server?.close();
  });

  test('every hostile URL ends with the right failureReason inside its caps, memory stays bounded, the run completes', async () => {
    assert.deepEqual(Object.keys(EXPECTED).filter((p) => p !== '/site' && p !== '/loop-b').sort(), [...HOSTILE_SITE_LINKS].sort(), 'the table covers every hostile link');
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    let rssPeak = rssBefore;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 25);

    const t0 = Date.now();
    const start = await fetch(`${api.url}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        url: `${server.origin}/site`,
        options: { requestTimeoutMs: TIMEOUT_MS, fetchRetries: RETRIES, fetchRetryBaseMs: 50, auditBatchSize: 4, parallelBatches: 3, perHostConcurrency: 4, maxPages: 100 },
      }),
    });
    assert.equal(start.status, 202, await start.clone().text());
    const { runId } = (await start.json()) as { runId: string };
    const done = await waitFor(async () => {
      const r = (await (await fetch(`${api.url}/api/runs/${runId}`)).json()) as any;
      return ['completed', 'failed', 'cancelled'].includes(r.status) ? r : null;
    }, 90_000, 250);
    const wallMs = Date.now() - t0;
    clearInterval(sampler);
    assert.equal(done.status, 'completed', JSON.stringify(done));

    const pages: any[] = ((await (await fetch(`${api.url}/api/runs/${runId}/pages?limit=500`)).json()) as any).items;
    const byPath = new Map(pages.map((p) => [new URL(p.url).pathname, p]));
    assert.deepEqual([...byPath.keys()].sort(), Object.keys(EXPECTED).sort(), 'exactly one record per URL, none missing');

    const table = Object.keys(EXPECTED).map((path) => {
      const p = byPath.get(path);
      return { path, failureReason: p.failureReason, status: p.status, statusCode: p.statusCode, attempts: p.attempts, durationMs: p.durationMs, bytes: p.bytes };
    });
    console.log(JSON.stringify({ hostile: table }));
    for (const [path, want] of Object.entries(EXPECTED)) {
      const p = byPath.get(path);
      assert.equal(p.failureReason, want.failureReason, `${path}: ${p.failureDetail}`);
      assert.equal(p.status, want.failureReason ? 'failed' : 'ok', path);
      if (want.statusCode !== undefined) assert.equal(p.statusCode, want.statusCode, path);
      if (want.attempts !== undefined) assert.equal(p.attempts, want.attempts, path);
      // Time cap: every attempt is bounded by the request timeout; retries add at most a little backoff
      // (50 ms base) or the 1 s Retry-After.
      if (p.durationMs !== null) assert.ok(p.durationMs <= (RETRIES + 1) * TIMEOUT_MS + 2_000, `${path} took ${p.durationMs} ms`);
      // Size cap: nothing kept beyond the cap plus one read chunk.
      if (p.bytes !== null) assert.ok(p.bytes <= MAX_BYTES + MB, `${path} read ${p.bytes} bytes`);
    }
    const drip = byPath.get('/slow-drip');
    assert.ok(drip.durationMs >= (RETRIES + 1) * TIMEOUT_MS - 100, 'the drip was cut at the deadline of each attempt, not earlier');
    assert.ok(byPath.get('/rate-limited').durationMs >= 900, 'Retry-After: 1 was honoured before the second attempt');
    assert.match(byPath.get('/redirect-private').failureDetail, /169\.254\.169\.254/);
    assert.ok(!server.requests.some((r) => r.path.startsWith('/latest/meta-data')), 'the metadata redirect never came back to us either');
    assert.ok((byPath.get('/malformed').title ?? '').startsWith('Broken'), 'malformed HTML is still parsed');

    // Memory: the 50 MB bodies and the ~100 MB gzip bomb were cut at the 5 MB cap, so the in-process worker
    // (plus API, server and test) grows by far less than any of them.
    const rssDelta = (rssPeak - rssBefore) / MB;
    const heapDelta = (heapPeak - heapBefore) / MB;
    assert.ok(rssDelta < 200, `RSS grew by ${rssDelta.toFixed(1)} MB`);
    assert.ok(heapDelta < 120, `heap grew by ${heapDelta.toFixed(1)} MB`);

    const summary = done.summary as { pagesAudited: number; pagesFailed: number; durationMs: number };
    assert.equal(summary.pagesAudited + summary.pagesFailed, Object.keys(EXPECTED).length);
    console.log(JSON.stringify({ wallMs, runDurationMs: summary.durationMs, rssDeltaMB: +rssDelta.toFixed(1), heapDeltaMB: +heapDelta.toFixed(1) }));
  });
});
