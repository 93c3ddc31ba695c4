// A generated benchmark site on 127.0.0.1, served by node:http: N URLs (index 0 … N-1; 0 is the home page) with
// realistic defects, a robots.txt and a sitemap listing every 10th URL. Every URL the site links to is one of the N,
// and every one of them is reachable by BFS from `/`, so a crawl with maxPages ≥ N covers exactly the N URLs.
//
// Defects (deterministic per index, scattered by a hash so they never cluster; home and hubs are always plain pages):
//   ~5% 404 targets (broken internal links), 1% 500 (every time, so they end as failures after retries),
//   2% redirect chains (301 → /moved/<i> → 301 → a content page → 200), 0.5% slow (answer after 300 ms),
//   1% noindex, ~3% duplicate titles and ~3% duplicate descriptions (copied from the previous index).
// Pages are ~25 KB with ~46 internal links each (tree children, parent, home, 8 hubs, 36 pseudo-random).
// A page's tree children hang off its nearest "tree" ancestor (a 200 page that is not noindex) when the page
// itself cannot carry links, which keeps everything reachable whatever the defects.
//
// Up to PRERENDER_LIMIT pages are rendered once at start (the measured crawls then cost the site nothing but
// writes); above it pages are rendered per request, so a 100k-page site does not hold 2.5 GB of HTML.
//
// Run as a script (`tsx bench/fixtureSite.ts <pages> [seed] [latencyMs]`), it prints `{"origin": …}` on stdout and serves until
// stdin closes or SIGTERM: bench/run.ts runs it in its own process so the site's CPU is not counted against the
// crawler. `/__bench/stats` and `/__bench/reset` (not linked) count what was served.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mulberry32 } from '../test/fixtures/random';

export const DEFAULT_PAGES = 10_000;
const TARGET_BYTES = 25 * 1024;
const FANOUT = 8; // tree children per page: depth ≈ log8(N) + 1
const HUBS = 8; // nav links to pages 1..8 on every page
const RELATED = 36; // pseudo-random links per page (≈46 internal links a page with the nav)
const PRERENDER_LIMIT = 20_000;
export const SLOW_MS = 300;

export type PageKind = 'ok' | 'not_found' | 'error' | 'redirect' | 'slow' | 'noindex';

export interface BenchSiteStats {
  requests: number;
  /** Requests for one of the N URLs (redirect hops under /moved/ not included). */
  pageRequests: number;
  /** Distinct URLs of the N requested at least once. */
  uniquePages: number;
  notFound: number;
  serverErrors: number;
  redirects: number;
  /** Most requests the site was answering at once (from the request's arrival to its response's end). */
  maxInFlight: number;
  /** The requests' time at the site, added up: over a run's wall time, how many it was answering on average. */
  requestSeconds: number;
}

export interface BenchSite {
  origin: string;
  pages: number;
  stats(): BenchSiteStats;
  resetStats(): void;
  close(): Promise<void>;
}

/** Path of page i (0 is the home page). */
export function pagePath(i: number): string {
  return i === 0 ? '/' : `/section-${i % 16}/page-${i}`;
}

/** Index of a page path, or -1. */
export function pageIndex(path: string, n: number): number {
  if (path === '/') return 0;
  const m = /^\/section-(\d+)\/page-(\d+)$/.exec(path);
  if (!m) return -1;
  const i = Number(m[2]);
  return i > 0 && i < n && i % 16 === Number(m[1]) && String(i) === m[2] ? i : -1;
}

/** A 32-bit integer hash (lowbias32), so defects are scattered over the indices. */
function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
const unit = (i: number, salt: number) => hash32(i * 4 + salt) / 4294967296;

/** What URL i is. The home page and the hubs are plain pages. */
export function pageKind(i: number): PageKind {
  if (i <= HUBS) return 'ok';
  const r = unit(i, 1);
  if (r < 0.05) return 'not_found';
  if (r < 0.06) return 'error';
  if (r < 0.08) return 'redirect';
  if (r < 0.085) return 'slow';
  if (r < 0.095) return 'noindex';
  return 'ok';
}

/** Pages whose links hold the site together: they answer 200, have a body and are not noindex. */
const isTreeNode = (k: PageKind) => k === 'ok' || k === 'slow';

const treeParent = (i: number) => Math.floor((i - 1) / FANOUT);

/** Nearest tree-node ancestor of i (the page that links to i as a tree child, and a redirect's final target). */
export function effectiveParent(i: number): number {
  let p = treeParent(i);
  while (p > 0 && !isTreeNode(pageKind(p))) p = treeParent(p);
  return p;
}

/** Tree children of i, including those of non-tree children (recursively), which only i links to. */
function effectiveChildren(i: number, n: number, out: number[] = []): number[] {
  for (let c = i * FANOUT + 1; c <= i * FANOUT + FANOUT && c < n; c++) {
    out.push(c);
    if (!isTreeNode(pageKind(c))) effectiveChildren(c, n, out);
  }
  return out;
}

const dupTitle = (i: number) => i > HUBS + 1 && unit(i, 2) < 0.03;
const dupDescription = (i: number) => i > HUBS + 1 && unit(i, 3) < 0.03;

/** Counts of each kind among the N URLs: what a complete crawl must report. */
export function siteProfile(n: number): Record<PageKind, number> & { pages: number; failing: number } {
  const out = { ok: 0, not_found: 0, error: 0, redirect: 0, slow: 0, noindex: 0 };
  for (let i = 0; i < n; i++) out[pageKind(i)]++;
  // A 404 is an audited page (status code + issue); only the 500s end as failures (http_5xx after retries).
  return { ...out, pages: n, failing: out.error };
}

const VOCAB = (
  'audit crawl page site search engine index title description heading link canonical robots sitemap content ' +
  'quality speed mobile image alt text structured data schema redirect status error server client cache header ' +
  'keyword ranking traffic visitor conversion product service customer support pricing feature release update ' +
  'guide tutorial example pattern practice review report summary detail section chapter paragraph sentence word ' +
  'garden river mountain harbor village market station library museum theatre bridge tower valley forest meadow ' +
  'quickly carefully usually rarely often always never sometimes clearly simply gently boldly quietly openly'
).split(' ');

/** A pool of sentences built once; pages pick from it (fast, deterministic, distinct per page). */
const SENTENCES: string[] = (() => {
  const r = mulberry32(42);
  const out: string[] = [];
  for (let s = 0; s < 600; s++) {
    const n = 10 + Math.floor(r() * 14);
    const w: string[] = [];
    for (let k = 0; k < n; k++) w.push(VOCAB[Math.floor(r() * VOCAB.length)]);
    w[0] = w[0][0].toUpperCase() + w[0].slice(1);
    out.push(`${w.join(' ')}.`);
  }
  return out;
})();

/** Internal link targets of page i: nav (tree children, parent, home, hubs) and pseudo-random related pages. */
export function linkTargets(i: number, n: number, seed = 0): { nav: number[]; related: number[] } {
  const nav = effectiveChildren(i, n);
  if (i > 0) nav.push(treeParent(i));
  nav.push(0);
  for (let h = 1; h <= HUBS && h < n; h++) nav.push(h);
  const related: number[] = [];
  const r = mulberry32(i * 7919 + 17 + seed * 104_729);
  for (let k = 0; k < RELATED && n > 1; k++) related.push(Math.floor(r() * n));
  return { nav, related };
}

function titleOf(i: number, seed: number): string {
  const t = dupTitle(i) ? i - 1 : i;
  return `Benchmark page ${t} about ${VOCAB[(t + seed) % VOCAB.length]} and ${VOCAB[(t * 3) % VOCAB.length]}`;
}

function descriptionOf(i: number): string {
  const d = dupDescription(i) ? i - 1 : i;
  return `Page ${d} of the generated benchmark site: ${SENTENCES[d % SENTENCES.length]} ${SENTENCES[(d + 7) % SENTENCES.length]}`;
}

function renderPage(origin: string, i: number, n: number, seed = 0): string {
  const path = pagePath(i);
  const r = mulberry32(i + 1 + seed * 7_919);
  const { nav: navTargets, related } = linkTargets(i, n, seed);
  const nav = navTargets.map((t) => `<li><a href="${pagePath(t)}">Section page ${t}</a></li>`).join('');
  const robots = pageKind(i) === 'noindex' ? '<meta name="robots" content="noindex">\n' : '';
  const parts: string[] = [];
  parts.push(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${titleOf(i, seed)}</title>
<meta name="description" content="${descriptionOf(i)}">
${robots}<link rel="canonical" href="${origin}${path}">
<link rel="stylesheet" href="/assets/site.css">
</head>
<body>
<header><a href="/">Home</a><nav><ul>${nav}</ul></nav></header>
<main>
<h1>Benchmark page ${i}</h1>
`);
  let bytes = parts[0].length;
  let para = 0;
  let rel = 0;
  const footer = `</main>
<footer><p>Generated benchmark site.</p><a href="https://example.com/partner-${i % 5}">Partner</a> <a href="https://example.org/">Example</a></footer>
</body>
</html>`;
  while (bytes < TARGET_BYTES - footer.length - 200) {
    if (para % 6 === 0) parts.push(`<h2>Part ${para / 6 + 1} of page ${i}</h2>\n`);
    const sentences: string[] = [];
    const count = 4 + Math.floor(r() * 5);
    for (let s = 0; s < count; s++) sentences.push(SENTENCES[Math.floor(r() * SENTENCES.length)]);
    if (rel < related.length) {
      const t = related[rel++];
      sentences.splice(1, 0, `See <a href="${pagePath(t)}">related page ${t} on ${VOCAB[t % VOCAB.length]}</a> for more.`);
    }
    if (para % 9 === 4) sentences.push(`<img src="/img/figure-${para}.png" alt="Figure ${para} of page ${i}" width="640" height="360">`);
    const p = `<p>${sentences.join(' ')}</p>\n`;
    parts.push(p);
    bytes += p.length;
    para++;
  }
  // Whatever related links did not fit in the text go in a list at the end.
  if (rel < related.length) parts.push(`<ul>${related.slice(rel).map((t) => `<li><a href="${pagePath(t)}">Page ${t}</a></li>`).join('')}</ul>\n`);
  parts.push(footer);
  return parts.join('');
}

type Response = { status: number; body: Buffer; type: string; location?: string; delayMs?: number };

const NOT_FOUND_BODY = Buffer.from('<!doctype html><title>Not found</title><h1>Not found</h1>');
const ERROR_BODY = Buffer.from('<!doctype html><title>Server error</title><h1>Internal server error</h1>');
const EMPTY = Buffer.alloc(0);

/** The response for URL i (rendering the page when it has one). */
export function respond(origin: string, i: number, n: number, seed = 0): Response {
  switch (pageKind(i)) {
    case 'not_found':
      return { status: 404, body: NOT_FOUND_BODY, type: 'text/html; charset=utf-8' };
    case 'error':
      return { status: 500, body: ERROR_BODY, type: 'text/html; charset=utf-8' };
    case 'redirect':
      return { status: 301, body: EMPTY, type: 'text/plain', location: `/moved/${i}` };
    default: {
      const body = Buffer.from(renderPage(origin, i, n, seed));
      return { status: 200, body, type: 'text/html; charset=utf-8', ...(pageKind(i) === 'slow' ? { delayMs: SLOW_MS } : {}) };
    }
  }
}

function robotsTxt(origin: string): string {
  return `User-agent: *\nDisallow: /admin/\n\nSitemap: ${origin}/sitemap.xml\n`;
}

/** The sitemap lists every 10th URL (some of them defective, as real sitemaps are): links find the rest. */
function sitemapXml(origin: string, n: number): string {
  const urls: string[] = [];
  for (let i = 0; i < n; i += 10) urls.push(`<url><loc>${origin}${pagePath(i)}</loc></url>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.join('\n')}</urlset>\n`;
}

const freshStats = (): BenchSiteStats => ({ requests: 0, pageRequests: 0, uniquePages: 0, notFound: 0, serverErrors: 0, redirects: 0, maxInFlight: 0, requestSeconds: 0 });

/**
 * Start the site on 127.0.0.1 (ephemeral port unless given). `/__bench/stats` and `/__bench/reset` are not linked.
 * `latencyMs` delays every answer (robots.txt, the sitemap, redirects and errors too), as a remote server's round trip
 * would: on loopback a run is bound by CPU, with latency by the connections a run may hold open to the host.
 */
export async function startBenchSite(opts: { pages?: number; port?: number; seed?: number; latencyMs?: number } = {}): Promise<BenchSite> {
  const n = Math.max(1, opts.pages ?? DEFAULT_PAGES);
  const seed = opts.seed ?? 0;
  const latencyMs = Math.max(0, opts.latencyMs ?? 0);
  let inFlight = 0;
  let stats = freshStats();
  // One bit per URL rather than a Set of strings: cheap at 100k.
  let seen = new Uint8Array(n);
  let prerendered: Response[] | null = null;
  let origin = '';
  let robots = EMPTY;
  let sitemap = EMPTY;
  const send = (res: http.ServerResponse, method: string | undefined, r: Response) => {
    const delayMs = latencyMs + (r.delayMs ?? 0);
    if (delayMs > 0) {
      setTimeout(() => write(res, method, r), delayMs);
      return;
    }
    write(res, method, r);
  };
  const write = (res: http.ServerResponse, method: string | undefined, r: Response) => {
    const headers: Record<string, string | number> = { 'content-type': r.type, 'content-length': r.body.length };
    if (r.location) headers.location = r.location;
    res.writeHead(r.status, headers);
    res.end(method === 'HEAD' ? undefined : r.body);
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/__bench/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    if (path === '/__bench/reset') {
      stats = freshStats();
      seen = new Uint8Array(n);
      res.writeHead(204).end();
      return;
    }
    stats.requests++;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight);
    // 'close' fires once per response, whether it finished or its connection went away.
    const arrived = performance.now();
    res.once('close', () => {
      inFlight--;
      stats.requestSeconds += (performance.now() - arrived) / 1000;
    });
    if (path === '/robots.txt') return send(res, req.method, { status: 200, body: robots, type: 'text/plain; charset=utf-8' });
    if (path === '/sitemap.xml') return send(res, req.method, { status: 200, body: sitemap, type: 'application/xml' });
    const moved = /^\/moved\/(\d+)$/.exec(path);
    if (moved && Number(moved[1]) < n && pageKind(Number(moved[1])) === 'redirect') {
      // Second hop of a redirect chain: on to the page's nearest tree ancestor (a 200 page).
      stats.redirects++;
      return send(res, req.method, { status: 301, body: EMPTY, type: 'text/plain', location: pagePath(effectiveParent(Number(moved[1]))) });
    }
    const i = pageIndex(path, n);
    if (i < 0) {
      stats.notFound++;
      return send(res, req.method, { status: 404, body: NOT_FOUND_BODY, type: 'text/html; charset=utf-8' });
    }
    stats.pageRequests++;
    if (!seen[i]) {
      seen[i] = 1;
      stats.uniquePages++;
    }
    const r = prerendered ? prerendered[i] : respond(origin, i, n, seed);
    if (r.status === 404) stats.notFound++;
    else if (r.status >= 500) stats.serverErrors++;
    else if (r.status === 301) stats.redirects++;
    send(res, req.method, r);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  robots = Buffer.from(robotsTxt(origin));
  sitemap = Buffer.from(sitemapXml(origin, n));
  if (n <= PRERENDER_LIMIT) {
    const all: Response[] = [];
    for (let i = 0; i < n; i++) all.push(respond(origin, i, n, seed));
    prerendered = all;
  }
  return {
    origin,
    pages: n,
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = freshStats();
      seen = new Uint8Array(n);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? process.env.BENCH_PAGES ?? DEFAULT_PAGES);
  const seed = Number(process.argv[3] ?? 0);
  const latencyMs = Number(process.argv[4] ?? 0);
  void startBenchSite({ pages: n, seed, latencyMs }).then((site) => {
    process.stdout.write(`${JSON.stringify({ origin: site.origin, pages: site.pages, pid: process.pid })}\n`);
    const stop = () => void site.close().then(() => process.exit(0));
    process.stdin.on('end', stop).on('close', stop).resume();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
