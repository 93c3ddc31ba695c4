// `npm run bench:fetch`: CPU cost of the HTTP layer alone. Every URL of the bench fixture site (bench/fixtureSite.ts,
// served from its own process, with its redirects, 404s and 500s) fetched with 16 connections, no checks, in rounds
// that alternate bare undici (the `plain` crawl's request loop: redirects followed by hand, body read as text) and
// Sitesweep's Fetcher (src/crawl/fetcher.ts: SSRF guard, size cap, binary sniff, charset, breaker, no retries here).
// Prints CPU us per URL (user + system of this process) of each round; the first round of each warms the JIT.
// BENCH_FETCH_PAGES (default 10000) URLs, BENCH_FETCH_ROUNDS (default 3) rounds of each.
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import { Fetcher } from '../src/crawl/fetcher';
import { pagePath } from './fixtureSite';
import { startSiteProcess } from './siteProcess';

const CONNECTIONS = 16;
const USER_AGENT = 'Sitesweep/0.1 (bench)';

async function withUndici(urls: readonly string[]): Promise<void> {
  const agent = new Agent({ connections: CONNECTIONS, keepAliveTimeout: 30_000, pipelining: 1 });
  const limit = pLimit(CONNECTIONS);
  await Promise.all(urls.map((url) => limit(async () => {
    let current = url;
    for (let hop = 0; hop <= 10; hop++) {
      const res = await request(current, { dispatcher: agent, headers: { 'user-agent': USER_AGENT, accept: 'text/html' } });
      const location = res.headers.location;
      if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
        await res.body.dump();
        current = new URL(location, current).href;
        continue;
      }
      await res.body.text();
      return;
    }
  })));
  await agent.close();
}

async function withFetcher(urls: readonly string[]): Promise<void> {
  const fetcher = new Fetcher({ connectionsPerHost: CONNECTIONS, allowPrivateTargets: true });
  const limit = pLimit(CONNECTIONS);
  await Promise.all(urls.map((url) => limit(() => fetcher.fetchPage(url, { timeoutMs: 15_000, maxBytes: 5_000_000, maxRedirects: 10, userAgent: USER_AGENT, retries: 0, accept: 'html' }))));
  await fetcher.close();
}

async function main(): Promise<void> {
  const pages = Number(process.env.BENCH_FETCH_PAGES ?? 10_000);
  const rounds = Number(process.env.BENCH_FETCH_ROUNDS ?? 3);
  const site = await startSiteProcess(pages);
  try {
    const urls = Array.from({ length: pages }, (_, i) => site.origin + pagePath(i));
    const crawls = { undici: withUndici, fetcher: withFetcher };
    for (let round = 1; round <= rounds; round++) {
      for (const [name, crawl] of Object.entries(crawls)) {
        const cpu = process.cpuUsage();
        const started = performance.now();
        await crawl(urls);
        const used = process.cpuUsage(cpu);
        const usPerUrl = (used.user + used.system) / urls.length;
        console.log(`round ${round} ${name.padEnd(7)} ${((performance.now() - started) / 1000).toFixed(2)} s  ${usPerUrl.toFixed(0)} us CPU per URL${round === 1 ? ' (warm-up)' : ''}`);
      }
    }
  } finally {
    site.child.kill();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
