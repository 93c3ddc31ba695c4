// The reference crawl the pipeline is measured against: in-process, no Temporal, no database.
//   plain    undici keep-alive Agent (16 connections), cheerio on htmlparser2, link extraction, BFS with a Set, p-limit.
//   analyze  the same crawl, but every page goes through Sitesweep's analyzePage (all per-page checks) and the BFS
//            follows its internal outlinks: the difference to `plain` is what the checks cost.
//   fetcher  `analyze` with Sitesweep's own Fetcher (SSRF guard, size cap, retries, redirect handling) instead of bare
//            undici: the difference to `analyze` is what the HTTP layer adds.
// Every crawl does the same HTTP work the pipeline does on the defective fixture site: it follows redirects (and
// takes the final URL as a link), retries 5xx `fetchRetries` times with the pipeline's full-jitter backoff, and
// counts a URL that ends in 5xx (or no answer) as failed; a 4xx is an audited page, as in the pipeline. Each of the N URLs is one result, as it is one page_audits row.
import { performance } from 'node:perf_hooks';
import * as cheerio from 'cheerio';
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import { analyzePage } from '../src/audit/analyzePage';
import type { FetchedPage } from '../src/audit/types';
import { siteHostOf } from '../src/audit/url';
import { backoffDelay } from '../src/crawl/backoff';
import { Fetcher } from '../src/crawl/fetcher';

export type BaselineMode = 'plain' | 'analyze' | 'fetcher';

export interface BaselineOptions {
  origin: string;
  maxPages: number;
  mode: BaselineMode;
  /** Connections and concurrent requests (default 16). */
  concurrency?: number;
  /** Extra attempts for a 5xx answer, as the pipeline's fetchRetries (default 2), and their backoff base. */
  fetchRetries?: number;
  fetchRetryBaseMs?: number;
}

export interface BaselineResult {
  mode: BaselineMode;
  /** URLs finished (ok + failed): one per URL, as page_audits holds one row per URL. */
  pages: number;
  failed: number;
  /** 4xx answers (audited, no links). */
  clientErrors: number;
  redirected: number;
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
  const result: BaselineResult = { mode: opts.mode, pages: 0, failed: 0, clientErrors: 0, redirected: 0, ms: 0, parseMs: 0, findings: 0, links: 0 };
  const titles: string[] = [];

  const retries = opts.fetchRetries ?? 2;
  const retryBaseMs = opts.fetchRetryBaseMs ?? 500;

  /** One attempt: follows up to 10 redirects by hand (undici's request does not). */
  async function fetchOnce(url: string): Promise<FetchedPage> {
    const t0 = performance.now();
    const chain: FetchedPage['redirectChain'] = [];
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await request(current, { dispatcher: agent, headers: { 'user-agent': USER_AGENT, accept: 'text/html' } });
      const location = res.headers.location;
      if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string' && hop < 10) {
        await res.body.dump();
        const next = new URL(location, current).href;
        chain.push({ url: current, status: res.statusCode });
        current = next;
        continue;
      }
      const ttfbMs = performance.now() - t0;
      const body = await res.body.text();
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      return {
        url, finalUrl: current, statusCode: res.statusCode, headers, redirectChain: chain, contentType: headers['content-type'] ?? null,
        bytes: Buffer.byteLength(body), ttfbMs, durationMs: performance.now() - t0, body,
      };
    }
  }

  async function fetchPlain(url: string): Promise<FetchedPage> {
    for (let attempt = 0; ; attempt++) {
      const page = await fetchOnce(url);
      if (page.statusCode < 500 || attempt >= retries) return page;
      await new Promise((r) => setTimeout(r, backoffDelay(attempt, retryBaseMs, 30_000)));
    }
  }

  async function fetchWithFetcher(url: string): Promise<FetchedPage> {
    return fetcher!.fetchPage(url, { timeoutMs: 15_000, maxBytes: 5_000_000, maxRedirects: 10, userAgent: USER_AGENT, retries, retryBaseMs, accept: 'html' });
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
    result.pages++;
    // As in the pipeline: a 5xx after its retries (or no answer) is a failure; a 4xx is an audited page (no links).
    if (!page || page.statusCode === 0 || page.statusCode >= 500 || page.body === null) {
      result.failed++;
      return;
    }
    if (page.statusCode >= 400) {
      result.clientErrors++;
      return;
    }
    let links: string[];
    const t0 = performance.now();
    if (page.redirectChain.length > 0) {
      // As in the pipeline: a redirect is reported as such, its target is a page of its own (followed like a link).
      result.redirected++;
      links = new URL(page.finalUrl).origin === origin ? [page.finalUrl] : [];
    } else if (opts.mode === 'plain') {
      const out = extractLinks(page.body, url, origin);
      titles.push(out.title);
      links = out.links;
    } else {
      const a = analyzePage(page, { siteHost, userAgentToken: 'sitesweep' });
      result.findings += a.findings.length;
      titles.push(a.title ?? '');
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
  if (titles.length !== result.pages - result.failed - result.clientErrors - result.redirected) throw new Error('lost titles');
  return result;
}
