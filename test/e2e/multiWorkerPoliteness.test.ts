// Many workers, one politeness: three worker OS processes poll one task queue and audit one site; the fixture server's
// own log must show (1) never more requests in flight to the host than the run's perHostConcurrency, and (2) under a
// robots.txt Crawl-delay, every two requests to the host, whichever worker sent them, at least the delay apart:
// robots.txt, sitemap, pages and redirect hops alike. Each worker may run only 2 activities at once while the run has
// 6 audit batches in flight, so the batches are spread over the three processes (checked from the history).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { startSiteRun } from '../../src/api/runService';
import type { SiteAuditResult } from '../../src/workflows/contracts';
import { connectTestClient, createTestDatabase, testConfig, uid, type TestDb } from '../helpers/stack';
import { spawnWorkerProcess, workerProcessEnv, type WorkerProcess } from '../helpers/workerProcess';

interface Hit {
  path: string;
  /** Arrival at the server (performance.now() of this process, sub-millisecond). */
  at: number;
}

interface CountingSite {
  origin: string;
  hits: Hit[];
  peak(): number;
  close(): Promise<void>;
}

/**
 * `/` links to /p/1…/p/n; every 5th link goes through /r/k, a 301 to /p/k (a redirect hop). The sitemap lists every
 * page. Every response (robots.txt, sitemap, pages, redirects) takes `delayMs`, so requests overlap when allowed to.
 */
async function startCountingSite(n: number, delayMs: number, robots: string): Promise<CountingSite> {
  const hits: Hit[] = [];
  let inFlight = 0;
  let peak = 0;
  let origin = '';
  const href = (i: number) => (i % 5 === 0 ? `/r/${i}` : `/p/${i}`);
  const page = (title: string, links: string[]) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</body></html>`;
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.push({ path, at: performance.now() });
    inFlight++;
    peak = Math.max(peak, inFlight);
    const send = (status: number, headers: Record<string, string>, body: string) =>
      setTimeout(() => {
        inFlight--;
        res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      }, delayMs);
    if (path === '/robots.txt') return send(200, { 'content-type': 'text/plain' }, `${robots}Sitemap: ${origin}/sitemap.xml\n`);
    if (path === '/sitemap.xml') {
      const urls = Array.from({ length: n }, (_, i) => `<url><loc>${origin}/p/${i + 1}</loc></url>`).join('');
      return send(200, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls}</urlset>`);
    }
    if (path === '/') return send(200, { 'content-type': 'text/html' }, page('Home', Array.from({ length: n }, (_, i) => href(i + 1))));
    const r = /^\/r\/(\d+)$/.exec(path);
    if (r) return send(301, { location: `/p/${r[1]}`, 'content-type': 'text/plain' }, 'moved');
    if (/^\/p\/\d+$/.test(path)) return send(200, { 'content-type': 'text/html' }, page(`Page ${path}`, ['/', href(Number(path.slice(3)) % n + 1)]));
    send(404, { 'content-type': 'text/plain' }, 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    hits,
    peak: () => peak,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('per-host politeness across three worker processes', () => {
  let tdb: TestDb;
  let client: Client;
  const workers: WorkerProcess[] = [];
  const sites: CountingSite[] = [];
  const config = testConfig();

  before(async () => {
    tdb = await createTestDatabase('multiw');
    // At most 2 activities per process: the run's 6 parallel batches must spread over all three.
    const env = workerProcessEnv(config, tdb.url, { WORKER_MAX_CONCURRENT_ACTIVITIES: '2' });
    const tag = uid();
    workers.push(...(await Promise.all(['a', 'b', 'c'].map((w) => spawnWorkerProcess(env, `polite-${w}-${tag}`)))));
    client = await connectTestClient(config);
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop(5_000)));
    await client?.connection.close();
    await tdb?.close();
    for (const s of sites) await s.close();
  });

  /** Runs one audit of `site` and returns its result and the worker identities that ran its audit batches. */
  async function audit(site: CountingSite, options: Record<string, unknown>) {
    const started = await startSiteRun(
      { db: tdb.db, client, config },
      { url: `${site.origin}/`, idempotencyKey: `multiw-${uid()}`, options: { fetchRetries: 0, requestTimeoutMs: 10_000, maxPages: 500, auditBatchSize: 3, parallelBatches: 6, ...options } },
    );
    const handle = client.workflow.getHandle(started.workflowId);
    const result = (await handle.result()) as SiteAuditResult;
    // Identities of the workers that started crawlBatch activities, from the history (across continue-as-new too).
    const identities = new Set<string>();
    let runId: string | undefined;
    for (let guard = 0; guard < 50; guard++) {
      const history = await client.workflow.getHandle(started.workflowId, runId).fetchHistory();
      const types = new Map<string, string>();
      let next: string | undefined;
      for (const e of history.events ?? []) {
        const sched = e.activityTaskScheduledEventAttributes;
        if (sched) types.set(String(e.eventId), sched.activityType?.name ?? '');
        const st = e.activityTaskStartedEventAttributes;
        if (st && types.get(String(st.scheduledEventId)) === 'crawlBatch' && st.identity) identities.add(st.identity);
        const can = e.workflowExecutionContinuedAsNewEventAttributes;
        if (can?.newExecutionRunId) next = can.newExecutionRunId;
      }
      if (!next) break;
      runId = next;
    }
    return { result, identities };
  }

  test('perHostConcurrency caps the requests in flight to the host across the three processes', async () => {
    const site = await startCountingSite(60, 40, 'User-agent: *\nAllow: /\n');
    sites.push(site);
    const { result, identities } = await audit(site, { perHostConcurrency: 4 });
    assert.equal(result.pagesFailed, 0);
    assert.ok(result.pagesAudited >= 61, `audited ${result.pagesAudited}`);
    assert.deepEqual([...identities].sort(), workers.map((w) => w.identity).sort(), 'audit batches ran on all three worker processes');
    assert.ok(site.peak() <= 4, `peak of ${site.peak()} requests in flight to the host (perHostConcurrency 4)`);
    console.log(JSON.stringify({ perHostConcurrency: 4, peakInFlight: site.peak(), requests: site.hits.length, workers: identities.size }));
  });

  test('a robots.txt Crawl-delay separates every two requests to the host, from any worker, redirect hops and discovery included', async () => {
    const site = await startCountingSite(30, 5, 'User-agent: *\nCrawl-delay: 0.2\nAllow: /\n');
    sites.push(site);
    const { result, identities } = await audit(site, { perHostConcurrency: 4, respectRobots: true, useSitemaps: true });
    assert.equal(result.pagesFailed, 0);
    assert.deepEqual([...identities].sort(), workers.map((w) => w.identity).sort(), 'audit batches ran on all three worker processes');
    const paths = site.hits.map((h) => h.path);
    assert.ok(paths.includes('/robots.txt') && paths.includes('/sitemap.xml'), 'discovery requests are in the log');
    assert.ok(paths.filter((p) => p.startsWith('/r/')).length >= 5, 'redirect hops are in the log');
    const at = site.hits.map((h) => h.at).sort((a, b) => a - b);
    let minGap = Infinity;
    let where = 0;
    for (let i = 1; i < at.length; i++) {
      if (at[i] - at[i - 1] < minGap) {
        minGap = at[i] - at[i - 1];
        where = i;
      }
    }
    const sorted = [...site.hits].sort((a, b) => a.at - b.at);
    assert.ok(minGap >= 200 - 10, `only ${minGap.toFixed(1)} ms between ${sorted[where - 1]?.path} and ${sorted[where]?.path}`);
    assert.equal(site.peak(), 1);
    console.log(JSON.stringify({ crawlDelayMs: 200, minGapMs: Math.round(minGap * 10) / 10, requests: site.hits.length, workers: identities.size, pagesAudited: result.pagesAudited }));
  });
});
