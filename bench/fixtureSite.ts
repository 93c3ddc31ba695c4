// A generated benchmark site on 127.0.0.1, served by node:http from memory: N pages (~25 KB of deterministic HTML
// each, 20–40 internal links, all reachable by BFS from `/` within a few hops), a robots.txt and a sitemap.
// Every link points at one of the N pages, so a crawl with maxPages = N fetches exactly the N pages.
//
// Run as a script (`tsx bench/fixtureSite.ts <pages>`), it prints `{"origin": …}` on stdout and serves until stdin
// closes or SIGTERM: bench/run.ts runs it in its own process so the site's CPU is not counted against the crawler.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const DEFAULT_PAGES = 2_000;
const TARGET_BYTES = 25 * 1024;
const FANOUT = 8; // tree children per page: depth ≈ log8(N) + 1
const HUBS = 8; // nav links to pages 1..8 on every page
const RELATED = 12; // pseudo-random links per page

export interface BenchSiteStats {
  requests: number;
  pageRequests: number;
  uniquePages: number;
  notFound: number;
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

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
  const r = rng(42);
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

/** Internal link targets of page i: tree children, its parent, the home page and hubs, and pseudo-random pages. */
export function linkTargets(i: number, n: number): number[] {
  const out: number[] = [];
  for (let c = i * FANOUT + 1; c <= i * FANOUT + FANOUT && c < n; c++) out.push(c);
  if (i > 0) out.push(Math.floor((i - 1) / FANOUT));
  out.push(0);
  for (let h = 1; h <= HUBS && h < n; h++) out.push(h);
  const r = rng(i * 7919 + 17);
  for (let k = 0; k < RELATED && n > 1; k++) out.push(Math.floor(r() * n));
  return out;
}

function renderPage(origin: string, i: number, n: number): string {
  const path = pagePath(i);
  const r = rng(i + 1);
  const targets = linkTargets(i, n);
  const nav = targets
    .slice(0, Math.min(targets.length, FANOUT + 2 + HUBS))
    .map((t) => `<li><a href="${pagePath(t)}">Section page ${t}</a></li>`)
    .join('');
  const related = targets.slice(FANOUT + 2 + HUBS);
  const parts: string[] = [];
  parts.push(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Benchmark page ${i} about ${VOCAB[i % VOCAB.length]} and ${VOCAB[(i * 3) % VOCAB.length]}</title>
<meta name="description" content="Page ${i} of the generated benchmark site: ${SENTENCES[i % SENTENCES.length]} ${SENTENCES[(i + 7) % SENTENCES.length]}">
<link rel="canonical" href="${origin}${path}">
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

/** Generate the site's responses (path → body). */
export function generateSite(origin: string, n: number): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (let i = 0; i < n; i++) files.set(pagePath(i), { body: Buffer.from(renderPage(origin, i, n)), type: 'text/html; charset=utf-8' });
  files.set('/robots.txt', { body: Buffer.from(`User-agent: *\nDisallow: /admin/\n\nSitemap: ${origin}/sitemap.xml\n`), type: 'text/plain; charset=utf-8' });
  // The sitemap lists every 10th page: discovery seeds part of the site, links find the rest.
  const urls: string[] = [];
  for (let i = 0; i < n; i += 10) urls.push(`<url><loc>${origin}${pagePath(i)}</loc></url>`);
  files.set('/sitemap.xml', {
    body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.join('\n')}</urlset>\n`),
    type: 'application/xml',
  });
  return files;
}

/** Start the site on 127.0.0.1 (ephemeral port unless given). `/__bench/stats` and `/__bench/reset` are not linked. */
export async function startBenchSite(opts: { pages?: number; port?: number } = {}): Promise<BenchSite> {
  const n = Math.max(1, opts.pages ?? DEFAULT_PAGES);
  let files = new Map<string, { body: Buffer; type: string }>();
  let stats: BenchSiteStats = { requests: 0, pageRequests: 0, uniquePages: 0, notFound: 0 };
  let seen = new Set<string>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/__bench/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...stats, uniquePages: seen.size }));
      return;
    }
    if (path === '/__bench/reset') {
      stats = { requests: 0, pageRequests: 0, uniquePages: 0, notFound: 0 };
      seen = new Set();
      res.writeHead(204).end();
      return;
    }
    stats.requests++;
    const f = files.get(path);
    if (!f) {
      stats.notFound++;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (f.type.startsWith('text/html')) {
      stats.pageRequests++;
      seen.add(path);
    }
    res.writeHead(200, { 'content-type': f.type, 'content-length': f.body.length });
    res.end(req.method === 'HEAD' ? undefined : f.body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  files = generateSite(origin, n);
  return {
    origin,
    pages: n,
    stats: () => ({ ...stats, uniquePages: seen.size }),
    resetStats: () => {
      stats = { requests: 0, pageRequests: 0, uniquePages: 0, notFound: 0 };
      seen = new Set();
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
  void startBenchSite({ pages: n }).then((site) => {
    process.stdout.write(`${JSON.stringify({ origin: site.origin, pages: site.pages, pid: process.pid })}\n`);
    const stop = () => void site.close().then(() => process.exit(0));
    process.stdin.on('end', stop).on('close', stop).resume();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
