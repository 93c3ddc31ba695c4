// Politeness and circuit breaking end to end, on the real stack, asserted from the fixture servers' own request logs.
//  - crawlDelayMs and robots.txt Crawl-delay space requests to a host ACROSS the parallel audit batches of a run
//    (the per-host gate is shared by the worker process, src/crawl/politeness.ts);
//  - perHostConcurrency caps the requests in flight to a host across batches;
//  - the Fetcher's per-host circuit breaker (BREAKER_FAILURE_THRESHOLD / BREAKER_COOLDOWN_MS) opens after N
//    consecutive failures of one host (a 500 is the page's own error and never counts); its pages are deferred (back to the frontier, retried after the cool-down),
//    a run of another host going on at the same time is neither slowed nor refused, a host that comes back loses no
//    page, and only a host that stays down has pages recorded as `circuit_open` (after MAX_DEFERS deferrals).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { MAX_DEFERS } from '../../src/activities/frontier';
import { connectTestClient, createTestDatabase, startTestApi, startTestWorker, testConfig, waitFor, type RunningWorker, type TestDb } from '../helpers/stack';

interface Hit {
  path: string;
  at: number;
  end: number;
}

interface PoliteSite {
  origin: string;
  hits: Hit[];
  /** Peak of page requests (/p/…) in flight at once. */
  peak(): number;
  /** 503 for every /p/ page while true. */
  down: boolean;
  /** /p/k answers 500 (the page's own error, always) for k > n - erroring. */
  erroring: number;
  robots: string | null;
  close(): Promise<void>;
}

/** `/` links to /p/1…/p/n; each page answers after `delayMs`. */
async function startPoliteSite(n: number, delayMs: number): Promise<PoliteSite> {
  const hits: Hit[] = [];
  let inFlight = 0;
  let peak = 0;
  const site: PoliteSite = {
    origin: '',
    hits,
    peak: () => peak,
    down: false,
    erroring: 0,
    robots: null,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const page = (title: string, links: string[]) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</body></html>`;
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const hit: Hit = { path, at: Date.now(), end: 0 };
    hits.push(hit);
    const send = (status: number, type: string, body: string) => {
      hit.end = Date.now();
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (path === '/robots.txt') return site.robots === null ? send(404, 'text/plain', 'no') : send(200, 'text/plain', site.robots);
    if (path === '/') return send(200, 'text/html', page('Home', Array.from({ length: n }, (_, i) => `/p/${i + 1}`)));
    if (path.startsWith('/p/')) {
      if (site.down) return send(503, 'text/plain', 'unavailable');
      if (Number(path.slice(3)) > n - site.erroring) return send(500, 'text/plain', 'internal error');
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        send(200, 'text/html', page(`Page ${path}`, ['/']));
      }, delayMs);
      return;
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  site.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return site;
}

/** Smallest gap between the starts of consecutive page requests (robots.txt and sitemaps come from discovery). */
function minGap(hits: Hit[]): number {
  const at = hits.filter((h) => h.path === '/' || h.path.startsWith('/p/')).map((h) => h.at).sort((a, b) => a - b);
  let min = Infinity;
  for (let i = 1; i < at.length; i++) min = Math.min(min, at[i] - at[i - 1]);
  return min;
}

const BASE = { fetchRetries: 2, fetchRetryBaseMs: 50, requestTimeoutMs: 5_000, useSitemaps: false, maxPages: 100 };

describe('politeness and circuit breaking', () => {
  let tdb: TestDb;
  let client: Client;
  let worker: RunningWorker;
  let api: { url: string; close(): Promise<void> };
  const sites: PoliteSite[] = [];

  const startRun = async (origin: string, options: Record<string, unknown>) => {
    const res = await fetch(`${api.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: origin, options: { ...BASE, ...options } }) });
    const body = (await res.json()) as any;
    assert.equal(res.status, 202, JSON.stringify(body));
    return body.runId as string;
  };
  const finish = async (runId: string) => {
    const done = await waitFor(async () => {
      const r = (await (await fetch(`${api.url}/api/runs/${runId}`)).json()) as any;
      return ['completed', 'failed', 'cancelled'].includes(r.status) ? r : null;
    }, 90_000, 100);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const pages = ((await (await fetch(`${api.url}/api/runs/${runId}/pages?limit=500`)).json()) as any).items as any[];
    return { done, pages };
  };
  const site = async (n: number, delayMs: number) => {
    const s = await startPoliteSite(n, delayMs);
    sites.push(s);
    return s;
  };

  before(async () => {
    tdb = await createTestDatabase('polite');
    const config = testConfig({ BREAKER_FAILURE_THRESHOLD: '3', BREAKER_COOLDOWN_MS: '2500' });
    assert.deepEqual(config.crawl.breaker, { failureThreshold: 3, cooldownMs: 2500 });
    client = await connectTestClient(config);
    worker = await startTestWorker(config, tdb.db);
    api = await startTestApi(config, tdb.db, client);
  });

  after(async () => {
    await api?.close();
    await worker?.stop();
    await client?.connection.close();
    await tdb?.close();
    for (const s of sites) await s.close();
  });

  test('crawlDelayMs spaces requests to the host across parallel audit batches', async () => {
    const s = await site(8, 5);
    const runId = await startRun(s.origin, { crawlDelayMs: 250, auditBatchSize: 2, parallelBatches: 3, perHostConcurrency: 4 });
    const { pages } = await finish(runId);
    assert.equal(pages.length, 9);
    assert.ok(pages.every((p) => p.status === 'ok'));
    const gap = minGap(s.hits);
    assert.ok(gap >= 250 - 30, `two page requests only ${gap} ms apart`);
    assert.equal(s.peak(), 1, 'one request at a time under a crawl delay');
    console.log(JSON.stringify({ crawlDelayMs: 250, minGapMs: gap, pages: pages.length }));
  });

  test('robots.txt Crawl-delay is honoured the same way', async () => {
    const s = await site(5, 5);
    s.robots = 'User-agent: *\nCrawl-delay: 0.4\nAllow: /\n';
    const runId = await startRun(s.origin, { auditBatchSize: 2, parallelBatches: 3, perHostConcurrency: 4, respectRobots: true });
    const { pages } = await finish(runId);
    assert.equal(pages.length, 6);
    const gap = minGap(s.hits);
    assert.ok(gap >= 400 - 30, `two page requests only ${gap} ms apart`);
    console.log(JSON.stringify({ robotsCrawlDelayMs: 400, minGapMs: gap, pages: pages.length }));
  });

  test('perHostConcurrency caps requests in flight across batches', async () => {
    const s = await site(12, 150);
    const runId = await startRun(s.origin, { auditBatchSize: 4, parallelBatches: 3, perHostConcurrency: 2 });
    const { pages } = await finish(runId);
    assert.equal(pages.length, 13);
    // 3 batches × 2 would reach 6 with a batch-local limit; the shared gate keeps it at 2 (and it does reach 2).
    assert.equal(s.peak(), 2, `peak in flight ${s.peak()}`);
    console.log(JSON.stringify({ perHostConcurrency: 2, peakInFlight: s.peak(), parallelBatches: 3 }));
  });

  test('a run gets the perHostConcurrency it asks for, beyond a small connection pool (16 in flight)', async () => {
    const s = await site(40, 300);
    const runId = await startRun(s.origin, { auditBatchSize: 10, parallelBatches: 4, perHostConcurrency: 16 });
    const { pages } = await finish(runId);
    assert.equal(pages.length, 41);
    assert.equal(s.peak(), 16, `peak in flight ${s.peak()}`);
    console.log(JSON.stringify({ perHostConcurrency: 16, peakInFlight: s.peak(), parallelBatches: 4 }));
  });

  test('an open circuit defers a failing host\'s pages (sending nothing) without slowing another host', async () => {
    const healthy = await site(12, 100);
    // Baseline: the healthy host alone.
    const baseline = await finish(await startRun(healthy.origin, { auditBatchSize: 4, parallelBatches: 3, perHostConcurrency: 2 }));
    const baselineMs = baseline.done.summary.durationMs as number;

    const failing = await site(12, 5);
    failing.down = true;
    healthy.hits.length = 0;
    const [a, b] = await Promise.all([
      finish(await startRun(failing.origin, { auditBatchSize: 4, parallelBatches: 3, perHostConcurrency: 2 })),
      finish(await startRun(healthy.origin, { auditBatchSize: 4, parallelBatches: 3, perHostConcurrency: 2 })),
    ]);
    // A host that stays down: its pages end with their real failure, or as circuit_open once deferred MAX_DEFERS times.
    const failedPages = a.pages.filter((p) => p.url.includes('/p/'));
    assert.equal(failedPages.length, 12);
    const reasons = failedPages.map((p) => p.failureReason);
    assert.ok(reasons.every((r) => r === 'circuit_open' || r === 'http_5xx'), reasons.join(','));
    const refused = failedPages.filter((p) => p.failureReason === 'circuit_open');
    assert.ok(refused.length >= 1, `no page was held back by the open circuit: ${reasons.join(',')}`);
    // Without a breaker every page gets 3 attempts (36 requests); with it, the pages that opened the circuit and one
    // trial per cool-down are all the host sees.
    const sent = failing.hits.filter((h) => h.path.startsWith('/p/')).length;
    assert.ok(sent < 36, `the failing host still got ${sent} page requests (36 without a breaker)`);
    const [{ defers }] = await tdb.db.query(
      `SELECT min(f.defers)::int AS defers FROM frontier f JOIN page_audits p ON p.run_id = f.run_id AND p.url_hash = f.url_hash
        WHERE p.run_id = $1 AND p.failure_reason = 'circuit_open'`,
      [a.done.runId],
    );
    assert.equal(defers, MAX_DEFERS, 'circuit_open is recorded only after the URL was deferred MAX_DEFERS times');

    // The other host, at the same time: nothing refused, and not slowed.
    assert.ok(b.pages.every((p) => p.status === 'ok' && p.failureReason === null), 'no circuit_open on the healthy host');
    const concurrentMs = b.done.summary.durationMs as number;
    assert.ok(concurrentMs < baselineMs * 2 + 3_000, `healthy run took ${concurrentMs} ms beside the failing one vs ${baselineMs} ms alone`);
    console.log(JSON.stringify({ breaker: { threshold: 3, cooldownMs: 2500, pages: 12, circuitOpen: refused.length, http5xx: 12 - refused.length, requestsSent: sent, healthyAloneMs: baselineMs, healthyBesideFailingMs: concurrentMs } }));
  });

  test("a site's own 500 pages, even the last ones crawled, never open the circuit: nothing deferred, every attempt sent", async () => {
    // The pages after the first three answer 500: once the good pages are done, only failing ones are left in flight,
    // and their last attempts arrive one after another (threshold 3). A host that answers is up: no cool-down waits.
    const s = await site(15, 5);
    s.erroring = 12;
    const runId = await startRun(s.origin, { auditBatchSize: 4, parallelBatches: 3, perHostConcurrency: 2 });
    const { done, pages } = await finish(runId);
    const p = pages.filter((x) => x.url.includes('/p/'));
    assert.equal(p.length, 15);
    assert.deepEqual(p.filter((x) => x.status === 'ok').map((x) => new URL(x.url).pathname).sort(), ['/p/1', '/p/2', '/p/3']);
    assert.deepEqual(p.filter((x) => x.status !== 'ok').map((x) => x.failureReason), Array(12).fill('http_5xx'));
    const [{ deferred }] = await tdb.db.query(`SELECT count(*)::int AS deferred FROM frontier WHERE run_id = $1 AND defers > 0`, [done.runId]);
    assert.equal(deferred, 0, 'no URL was deferred by an open circuit');
    for (let k = 4; k <= 15; k++) assert.equal(s.hits.filter((h) => h.path === `/p/${k}`).length, 3, `/p/${k}: every attempt sent (fetchRetries 2)`);
  });

  test('a host that comes back after a short outage loses no page to the open circuit: deferred pages are audited', async () => {
    const flaky = await site(12, 5);
    flaky.down = true;
    const runId = await startRun(flaky.origin, { auditBatchSize: 4, parallelBatches: 3, perHostConcurrency: 2 });
    // The outage lasts until the breaker has opened and a page was deferred, then the host answers again.
    await waitFor(async () => {
      const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM frontier WHERE run_id = $1 AND defers > 0`, [runId]);
      return n > 0 ? true : null;
    }, 30_000, 20);
    flaky.down = false;
    const { done, pages } = await finish(runId);
    const p = pages.filter((x) => x.url.includes('/p/'));
    assert.equal(p.length, 12);
    assert.deepEqual(p.filter((x) => x.failureReason === 'circuit_open').map((x) => x.url), [], 'no page of a reachable host recorded as circuit_open');
    assert.ok(p.every((x) => x.status === 'ok' || x.failureReason === 'http_5xx'), p.map((x) => x.failureReason).join(','));
    const deferredRows: Array<{ url: string }> = await tdb.db.query(`SELECT url FROM frontier WHERE run_id = $1 AND defers > 0`, [done.runId]);
    assert.ok(deferredRows.length >= 1, 'pages were deferred while the circuit was open');
    const byUrl = new Map(p.map((x) => [x.url, x]));
    assert.ok(deferredRows.every((d) => byUrl.get(d.url)?.status === 'ok'), 'every deferred page was audited once the host answered');
    assert.ok(p.filter((x) => x.status === 'ok').length >= 12 - 4, `most pages audited after the outage (${p.map((x) => x.failureReason).join(',')})`);
  });
});
