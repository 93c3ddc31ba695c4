// The reference crawl the pipeline is measured against: in-process, no Temporal, no database.
//   plain    undici keep-alive Agent (16 connections), cheerio on htmlparser2, link extraction, BFS with a Set, p-limit.
//   analyze  the same crawl, but every page goes through Sitesweep's analyzePage (all per-page checks) and the BFS
//            follows its internal outlinks: the difference to `plain` is what the checks cost.
//   fetcher  `analyze` with Sitesweep's own Fetcher (SSRF guard, size cap, retries, redirect handling) instead of bare
//            undici: the difference to `analyze` is what the HTTP layer adds.
import { performance } from 'node:perf_hooks';
import * as cheerio from 'cheerio';
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import { analyzePage } from '../src/audit/analyzePage';
import type { FetchedPage } from '../src/audit/types';
import { siteHostOf } from '../src/audit/url';
import { Fetcher } from '../src/crawl/fetcher';

export type BaselineMode = 'plain' | 'analyze' | 'fetcher';

export interface BaselineOptions {
  origin: string;
  maxPages: number;
  mode: BaselineMode;
  /** Connections and concurrent requests (default 16). */
  concurrency?: number;
}

export interface BaselineResult {
  mode: BaselineMode;
  pages: number;
  failed: number;
  ms: number;
  /** Sum of per-page parse/analyze time (CPU on the one JS thread). */
  parseMs: number;
  findings: number;
  links: number;
}

const USER_AGENT = 'Sitesweep/0.1 (+https://github.com/sitesweep/sitesweep)';

/** Internal links of a page with cheerio (htmlparser2 DOM): resolved, same origin, fragment dropped. */
function extractLinks(html: string, pageUrl: string, origin: string): { links: string[]; title: string } {
  const $ = cheerio.load(html, { xml: { xmlMode: false, decodeEntities: true } });
  const links: string[] = [];
  $('a[href]').each((_, el) => {
    const href = el.attribs.href;
    let u: URL;
    try {
      u = new URL(href, pageUrl);
    } catch {
      return;
    }
    if (u.origin !== origin) return;
    u.hash = '';
    links.push(u.href);
  });
  // Copy the kept string out of the page (a sliced string would keep the whole HTML alive).
  const title = Buffer.from($('title').first().text(), 'utf8').toString('utf8');
  return { links, title };
}

export async function runBaseline(opts: BaselineOptions): Promise<BaselineResult> {
  const concurrency = opts.concurrency ?? 16;
  const origin = new URL(opts.origin).origin;
  const start = new URL('/', origin).href;
  const siteHost = siteHostOf(start) ?? '';
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000, pipelining: 1 });
  const fetcher = opts.mode === 'fetcher' ? new Fetcher({ connectionsPerHost: concurrency, allowPrivateTargets: true }) : null;
  const limit = pLimit(concurrency);
  const seen = new Set<string>([start]);
  const result: BaselineResult = { mode: opts.mode, pages: 0, failed: 0, ms: 0, parseMs: 0, findings: 0, links: 0 };
  const titles: string[] = [];

  async function fetchPlain(url: string): Promise<FetchedPage | null> {
    const t0 = performance.now();
    const res = await request(url, { dispatcher: agent, headers: { 'user-agent': USER_AGENT, accept: 'text/html' } });
    const ttfbMs = performance.now() - t0;
    const body = await res.body.text();
    if (res.statusCode !== 200) return null;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return {
      url, finalUrl: url, statusCode: res.statusCode, headers, redirectChain: [], contentType: headers['content-type'] ?? null,
      bytes: Buffer.byteLength(body), ttfbMs, durationMs: performance.now() - t0, body,
    };
  }

  async function fetchWithFetcher(url: string): Promise<FetchedPage | null> {
    const res = await fetcher!.fetchPage(url, { timeoutMs: 15_000, maxBytes: 5_000_000, maxRedirects: 10, userAgent: USER_AGENT, retries: 2, accept: 'html' });
    return res.statusCode === 200 && res.body !== null ? res : null;
  }

  // `pending` counts scheduled pages not yet finished; children are counted before their parent finishes.
  let pending = 0;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));

  function schedule(url: string): void {
    pending++;
    void limit(async () => {
      try {
        await crawlOne(url);
      } finally {
        if (--pending === 0) finish();
      }
    });
  }

  async function crawlOne(url: string): Promise<void> {
    let page: FetchedPage | null;
    try {
      page = fetcher ? await fetchWithFetcher(url) : await fetchPlain(url);
    } catch {
      page = null;
    }
    if (!page || page.body === null) {
      result.failed++;
      return;
    }
    result.pages++;
    const t0 = performance.now();
    let links: string[];
    if (opts.mode === 'plain') {
      const out = extractLinks(page.body, url, origin);
      titles.push(out.title);
      links = out.links;
    } else {
      const a = analyzePage(page, { siteHost, userAgentToken: 'sitesweep' });
      result.findings += a.findings.length;
      if (a.title) titles.push(a.title);
      links = [];
      for (const l of a.outlinks) if (l.internal) links.push(l.url);
    }
    result.parseMs += performance.now() - t0;
    result.links += links.length;
    // p-limit's queue is FIFO, so pages are crawled breadth first.
    for (const l of links) {
      if (seen.size >= opts.maxPages) break;
      if (seen.has(l)) continue;
      seen.add(l);
      schedule(l);
    }
  }

  const t0 = performance.now();
  schedule(start);
  await done;
  result.ms = performance.now() - t0;
  await agent.close();
  await fetcher?.close();
  if (titles.length !== result.pages) throw new Error('lost titles');
  return result;
}
