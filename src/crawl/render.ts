// JavaScript rendering (runs with render: "chromium"): one headless Chromium per worker process, driven by
// playwright-core, with a bounded number of pages open at once (one fresh context + page per render, closed after use).
//
// The browser never touches the network itself. Chromium is started with a resolver that resolves nothing and a dead
// proxy, and every request it makes is intercepted (context.route): the page's own document is answered with the HTML
// the crawler already fetched (no second fetch), and every other request is judged here — GET only, http(s) only,
// same-site only unless third parties are allowed, the target policy (src/crawl/ssrfGuard.ts) on its resolved
// addresses — then fetched by the worker's guarded Fetcher (which checks again at connect time, hop by hop) and handed
// back to the browser. A refused request is aborted. So the one target policy holds for every request of the browser.
import { accessSync, constants } from 'node:fs';
import dns from 'node:dns';
import { isIP } from 'node:net';
import type { Browser, BrowserContext, Route } from 'playwright-core';
import type { Fetcher } from './fetcher';
import { isTargetAllowed, type TargetPolicy } from './ssrfGuard';

/** Whether an executable exists at `path` (the API refuses render: "chromium" without one). */
export function chromiumAvailable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class RenderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderUnavailableError';
  }
}

/** One subresource as the Fetcher returned it (after its redirects); null: it failed. */
export interface FetchedResource {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type ResourceFetch = (url: string, opts: { headers: Record<string, string>; userAgent: string; timeoutMs: number; signal?: AbortSignal }) => Promise<FetchedResource | null>;

export interface RendererOptions {
  chromiumPath: string;
  /** Pages open at once (the pool's bound). */
  concurrency: number;
  /** Default whole-render timeout of one page. */
  timeoutMs: number;
  /** Load requests of other sites too (still under the target policy). */
  allowThirdParty: boolean;
  /** A browser serves this many pages, then a new one takes over (the old closes when its pages are done). */
  recycleAfter: number;
  policy: TargetPolicy;
  fetchResource: ResourceFetch;
  /** Name → addresses (tests inject one); default dns.lookup with all answers. */
  lookup?: (host: string) => Promise<string[]>;
}

export interface RenderInput {
  /** Where the HTML came from (the fetch's final URL); the browser navigates there. */
  url: string;
  statusCode: number;
  contentType: string | null;
  html: string;
  /** Whether a request belongs to the page's site (others are third-party). */
  isSameSite: (url: string) => boolean;
  userAgent: string;
  /** Run headers (credentials) sent with same-site requests only. */
  headers: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Runs each network fetch of a subresource (the crawl passes its per-host politeness gate: concurrency, crawl delay). */
  gate?: <T>(url: string, fetch: () => Promise<T>) => Promise<T>;
}

export interface RenderResult {
  /** The rendered DOM, serialized (page.content()). */
  html: string;
  /** The render timeout passed before the page settled: the DOM as it was then. */
  timedOut: boolean;
  durationMs: number;
  /** Requests the browser made besides the document: loaded, refused (policy / third party / method), failed, skipped (images, fonts, media, frames). */
  requests: { loaded: number; blocked: number; failed: number; skipped: number };
  /** First few refused request URLs, with why. */
  blocked: Array<{ url: string; reason: 'third_party' | 'target_policy' | 'method' | 'scheme' }>;
  /** A script navigated the page elsewhere (not followed; the DOM is taken before it). */
  jsNavigation?: string;
}

export interface RendererStats {
  /** Pages open now / the most ever open at once (≤ concurrency). */
  openPages: number;
  maxOpenPages: number;
  rendered: number;
  browsersLaunched: number;
  browsersOpen: number;
}

/** Not needed to build the DOM, and the bulk of a page's bytes. */
const SKIPPED_TYPES = new Set(['image', 'media', 'font', 'texttrack', 'manifest', 'websocket', 'eventsource', 'beacon', 'ping', 'other']);
/** After the load event, the page counts as settled when no request has been in flight for this long. */
const QUIET_MS = 150;
const MAX_BLOCKED_LISTED = 10;
/** Subresources (scripts, styles) shared by a site's pages are fetched once per few minutes, not once per page. */
const CACHE_MAX_BYTES = 32 * 1024 * 1024;
const CACHE_TTL_MS = 5 * 60_000;
const RESOURCE_TIMEOUT_CAP_MS = 10_000;
/** Serializing the DOM gets at least this long, even when the page used up the render timeout. */
const CONTENT_FLOOR_MS = 5_000;

// Chromium resolves nothing and has no route out: every request must come through context.route (see top).
const CHROMIUM_ARGS = [
  '--host-resolver-rules=MAP * ~NOTFOUND',
  '--proxy-server=http://127.0.0.1:9',
  '--proxy-bypass-list=<-loopback>',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--disable-extensions',
  '--disable-background-networking',
  '--dns-prefetch-disable',
  '--no-first-run',
  '--mute-audio',
];

interface Generation {
  browser: Promise<Browser>;
  active: number;
  served: number;
  retiring: boolean;
  closed: boolean;
}

export class Renderer {
  private gen: Generation | null = null;
  private readonly waiters: Array<() => void> = [];
  private slotsInUse = 0;
  private openPages = 0;
  private maxOpenPages = 0;
  private rendered = 0;
  private launched = 0;
  private readonly gens = new Set<Generation>();
  private readonly cache = new Map<string, { res: FetchedResource; at: number }>();
  private cacheBytes = 0;
  private closing = false;

  constructor(private readonly opts: RendererOptions) {}

  stats(): RendererStats {
    return { openPages: this.openPages, maxOpenPages: this.maxOpenPages, rendered: this.rendered, browsersLaunched: this.launched, browsersOpen: [...this.gens].filter((g) => !g.closed).length };
  }

  /** Renders one page; throws RenderUnavailableError when Chromium cannot start, other errors when the page cannot be rendered. */
  async render(input: RenderInput): Promise<RenderResult> {
    if (this.closing) throw new RenderUnavailableError('the renderer is shut down');
    await this.acquireSlot(input.signal);
    let gen: Generation | null = null;
    try {
      gen = this.takeBrowser();
      const browser = await gen.browser;
      return await this.renderIn(browser, input);
    } finally {
      if (gen) this.releaseBrowser(gen);
      this.releaseSlot();
    }
  }

  /** Closes every browser (worker shutdown). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.gens].map((g) => this.closeGen(g)));
    this.cache.clear();
    this.cacheBytes = 0;
  }

  private acquireSlot(signal?: AbortSignal): Promise<void> {
    if (this.slotsInUse < this.opts.concurrency) {
      this.slotsInUse++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        this.slotsInUse++;
        resolve();
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(go);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(go);
    });
  }

  private releaseSlot(): void {
    this.slotsInUse--;
    this.waiters.shift()?.();
  }

  private takeBrowser(): Generation {
    if (!this.gen || this.gen.retiring || this.gen.closed) {
      const g: Generation = { browser: this.launch(), active: 0, served: 0, retiring: false, closed: false };
      this.gens.add(g);
      this.gen = g;
      g.browser.then(
        (b) => b.on('disconnected', () => {
          // A crashed browser is replaced by the next render.
          g.closed = true;
          this.gens.delete(g);
          if (this.gen === g) this.gen = null;
        }),
        () => {
          g.closed = true;
          this.gens.delete(g);
          if (this.gen === g) this.gen = null;
        },
      );
    }
    const g = this.gen;
    g.active++;
    g.served++;
    if (g.served >= this.opts.recycleAfter) g.retiring = true;
    return g;
  }

  private releaseBrowser(g: Generation): void {
    g.active--;
    if (g.retiring && g.active === 0) void this.closeGen(g);
  }

  private async closeGen(g: Generation): Promise<void> {
    if (this.gen === g) this.gen = null;
    g.closed = true;
    this.gens.delete(g);
    const b = await g.browser.catch(() => null);
    await b?.close().catch(() => {});
  }

  private async launch(): Promise<Browser> {
    const { chromiumPath } = this.opts;
    if (!chromiumAvailable(chromiumPath)) {
      throw new RenderUnavailableError(`no Chromium executable at ${chromiumPath} (install chromium or set CHROMIUM_PATH)`);
    }
    // Loaded on first use: workers that never render never load playwright-core.
    const { chromium } = await import('playwright-core');
    try {
      const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
      this.launched++;
      return browser;
    } catch (err) {
      throw new RenderUnavailableError(`Chromium at ${chromiumPath} did not start: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  private async renderIn(browser: Browser, input: RenderInput): Promise<RenderResult> {
    const started = Date.now();
    const deadline = started + (input.timeoutMs ?? this.opts.timeoutMs);
    const result: RenderResult = { html: '', timedOut: false, durationMs: 0, requests: { loaded: 0, blocked: 0, failed: 0, skipped: 0 }, blocked: [] };
    let inflight = 0;
    let lastActivity = Date.now();
    let documentServed = false;
    const context: BrowserContext = await browser.newContext({
      userAgent: input.userAgent,
      serviceWorkers: 'block',
      acceptDownloads: false,
      javaScriptEnabled: true,
      viewport: { width: 1280, height: 800 },
    });
    this.openPages++;
    this.maxOpenPages = Math.max(this.maxOpenPages, this.openPages);
    const onAbort = () => void context.close().catch(() => {});
    input.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const refuse = (route: Route, url: string, reason: RenderResult['blocked'][number]['reason']) => {
        result.requests.blocked++;
        if (result.blocked.length < MAX_BLOCKED_LISTED) result.blocked.push({ url: url.slice(0, 500), reason });
        return route.abort('blockedbyclient');
      };
      await context.route('**/*', async (route) => {
        const req = route.request();
        const url = req.url();
        inflight++;
        lastActivity = Date.now();
        try {
          let mainFrame = false;
          try {
            mainFrame = req.isNavigationRequest() && req.frame().parentFrame() === null;
          } catch {
            mainFrame = false;
          }
          if (mainFrame) {
            if (!documentServed) {
              documentServed = true;
              return await route.fulfill({ status: input.statusCode, contentType: input.contentType ?? 'text/html; charset=utf-8', body: input.html });
            }
            // A script sends the page elsewhere: noted, not followed (the DOM of this page is what is audited).
            result.jsNavigation ??= url.slice(0, 2000);
            return await route.abort('aborted');
          }
          if (req.isNavigationRequest() || SKIPPED_TYPES.has(req.resourceType())) {
            result.requests.skipped++;
            return await route.abort('blockedbyclient');
          }
          let parsed: URL;
          try {
            parsed = new URL(url);
          } catch {
            return await refuse(route, url, 'scheme');
          }
          if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return await refuse(route, url, 'scheme');
          // The crawler reads; it never submits forms or posts on a site's behalf.
          if (req.method() !== 'GET') return await refuse(route, url, 'method');
          const sameSite = input.isSameSite(url);
          if (!sameSite && !this.opts.allowThirdParty) return await refuse(route, url, 'third_party');
          if (!(await this.targetAllowed(parsed))) return await refuse(route, url, 'target_policy');
          const headers = sameSite ? input.headers : {};
          const res = await this.fetchCached(url, req.resourceType(), headers, input, deadline);
          if (!res) {
            result.requests.failed++;
            return await route.abort('failed');
          }
          result.requests.loaded++;
          return await route.fulfill({ status: res.status, headers: browserHeaders(res.headers), body: res.body });
        } catch {
          // The page or context closed under the request (timeout, abort): nothing to answer.
        } finally {
          inflight--;
          lastActivity = Date.now();
        }
      });
      context.on('page', (p) => {
        // Popups (window.open) are closed at once; alert/confirm/prompt would block the page.
        p.on('dialog', (d) => void d.dismiss().catch(() => {}));
      });
      const page = await context.newPage();
      context.on('page', (p) => {
        if (p !== page) void p.close().catch(() => {});
      });
      try {
        await page.goto(input.url, { waitUntil: 'load', timeout: Math.max(1, deadline - Date.now()) });
        // Scripts often fetch content after load: wait until the page has been quiet for QUIET_MS.
        while (Date.now() < deadline && (inflight > 0 || Date.now() - lastActivity < QUIET_MS)) {
          await new Promise((r) => setTimeout(r, 25));
        }
        if (Date.now() >= deadline) result.timedOut = true;
      } catch (err) {
        if (input.signal?.aborted) throw err;
        if (!/Timeout/i.test((err as Error).message) || !documentServed) throw err;
        result.timedOut = true;
      }
      // A page stuck in a script loop cannot serialize its DOM: bounded too.
      result.html = await withTimeout(page.content(), Math.max(CONTENT_FLOOR_MS, deadline - Date.now()), 'reading the rendered DOM');
      result.durationMs = Date.now() - started;
      this.rendered++;
      return result;
    } finally {
      input.signal?.removeEventListener('abort', onAbort);
      await withTimeout(context.close(), 10_000, 'closing the page').catch(() => {});
      this.openPages--;
    }
  }

  /** The target policy on every address the request's host resolves to (IP literals as they are). */
  private async targetAllowed(url: URL): Promise<boolean> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    if (isIP(host) !== 0) addresses = [host];
    else {
      try {
        addresses = await (this.opts.lookup ?? defaultLookup)(host);
      } catch {
        // Unresolvable: the Fetcher would fail it anyway; refusing here says why.
        return false;
      }
    }
    return addresses.length > 0 && addresses.every((a) => isTargetAllowed(host, a, this.opts.policy));
  }

  private async fetchCached(url: string, type: string, headers: Record<string, string>, input: RenderInput, deadline: number): Promise<FetchedResource | null> {
    const cacheable = type === 'script' || type === 'stylesheet';
    // Credentials change what a site serves: cached apart.
    const key = `${Object.keys(headers).length ? JSON.stringify(headers) : ''}\n${url}`;
    if (cacheable) {
      const hit = this.cache.get(key);
      if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.res;
      if (hit) this.evict(key);
    }
    // The timeout starts once the gate lets the request go (it may wait for a crawl delay).
    const go = () => this.opts.fetchResource(url, { headers, userAgent: input.userAgent, timeoutMs: Math.max(1_000, Math.min(RESOURCE_TIMEOUT_CAP_MS, deadline - Date.now())), signal: input.signal });
    const res = await (input.gate ? input.gate(url, go) : go());
    if (res && cacheable && res.status >= 200 && res.status < 300 && res.body.length < CACHE_MAX_BYTES / 8) {
      this.cache.set(key, { res, at: Date.now() });
      this.cacheBytes += res.body.length;
      while (this.cacheBytes > CACHE_MAX_BYTES) {
        const oldest = this.cache.keys().next().value;
        if (oldest === undefined) break;
        this.evict(oldest);
      }
    }
    return res;
  }

  private evict(key: string): void {
    const e = this.cache.get(key);
    if (!e) return;
    this.cacheBytes -= e.res.body.length;
    this.cache.delete(key);
  }
}

/** Subresources through the worker's Fetcher: its connect-time guard, size cap and redirect limit; no retries. */
export function fetcherResources(fetcher: Fetcher, limits: { maxBytes: number; maxRedirects: number }): ResourceFetch {
  return async (url, opts) => {
    const res = await fetcher.fetchPage(url, {
      timeoutMs: opts.timeoutMs,
      maxBytes: limits.maxBytes,
      maxRedirects: limits.maxRedirects,
      userAgent: opts.userAgent,
      retries: 0,
      signal: opts.signal,
      accept: 'any',
      headers: opts.headers,
    });
    if (res.statusCode === 0 || (res.failureReason && !res.rawBody)) return null;
    return { status: res.statusCode, headers: res.headers, body: res.rawBody ?? Buffer.from(res.body ?? '', 'utf8') };
  };
}

/** The Fetcher hands over decoded bodies: length and encoding headers no longer describe them. */
const HOP_HEADERS = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);
function browserHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_HEADERS.has(k.toLowerCase())) out[k] = v;
  return out;
}

function defaultLookup(host: string): Promise<string[]> {
  return dns.promises.lookup(host, { all: true }).then((list) => list.map((a) => a.address));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`render timeout while ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
