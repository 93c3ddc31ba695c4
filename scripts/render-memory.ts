// Memory over a long rendered run: renders N pages (default 1,000) of the JavaScript fixture site through the worker's
// browser pool (src/crawl/render.ts, settings from config: RENDER_CONCURRENCY, RENDER_RECYCLE_AFTER…) and checks each
// rendered DOM as the crawl does, sampling once a second the memory of this process plus every Chromium process under
// it (RSS summed — an upper bound, shared pages count once per process — and PSS, which splits shared pages).
// Usage: npx tsx scripts/render-memory.ts [pages]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sameSiteAs } from '../src/activities/renderPage';
import { analyzePage } from '../src/audit/analyzePage';
import { siteHostOf } from '../src/audit/url';
import { loadConfig } from '../src/config';
import { Fetcher } from '../src/crawl/fetcher';
import { fetcherResources, Renderer } from '../src/crawl/render';
import { startJsSite } from '../test/fixtures/jsSite';

function descendants(pid: number): number[] {
  const out: number[] = [];
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [child, parent] of rows) {
      if (parent !== p) continue;
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function memKb(pid: number): { rss: number; pss: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kb('Rss'), pss: kb('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

async function main() {
  const n = Number(process.argv[2] ?? 1000);
  const config = loadConfig({ ...process.env, ALLOW_PRIVATE_TARGETS: 'true' });
  const site = await startJsSite({ gridPages: n });
  const fetcher = new Fetcher({ connectionsPerHost: 8, allowPrivateTargets: true });
  const renderer = new Renderer({ ...config.render, policy: { allowPrivateTargets: true }, fetchResource: fetcherResources(fetcher, config.crawl) });
  const samples: Array<{ t: number; done: number; rssMb: number; pssMb: number; procs: number; open: number }> = [];
  let done = 0;
  const t0 = Date.now();
  const sample = () => {
    const pids = [process.pid, ...descendants(process.pid)];
    const m = pids.map(memKb).reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 });
    samples.push({ t: Date.now() - t0, done, rssMb: Math.round(m.rss / 1024), pssMb: Math.round(m.pss / 1024), procs: pids.length, open: renderer.stats().openPages });
  };
  const timer = setInterval(sample, 1000);
  let next = 0;
  let words = 0;
  let failures = 0;
  let timedOut = 0;
  const siteHost = siteHostOf(site.origin)!;
  const lane = async () => {
    while (next < n) {
      const url = `${site.origin}/grid/${next++}`;
      const res = await fetch(url);
      const html = await res.text();
      let out: Awaited<ReturnType<Renderer['render']>>;
      try {
        out = await renderer.render({ url, statusCode: res.status, contentType: res.headers.get('content-type'), html, isSameSite: sameSiteAs(url), userAgent: 'Sitesweep-memory/1.0', headers: {} });
      } catch (err) {
        // The crawl keeps such a page's raw HTML; here it is counted.
        if (failures++ < 5) console.log(`render failed: ${url}: ${(err as Error).message}`);
        done++;
        continue;
      }
      if (out.timedOut) timedOut++;
      const analysis = analyzePage({ url, finalUrl: url, statusCode: 200, headers: {}, redirectChain: [], contentType: 'text/html', bytes: out.html.length, ttfbMs: 0, durationMs: 0, body: out.html }, { siteHost });
      words += analysis.wordCount;
      done++;
      if (done % 100 === 0) console.log(`${done} pages, ${((Date.now() - t0) / 1000).toFixed(0)} s, last sample ${JSON.stringify(samples.at(-1))}`);
    }
  };
  await Promise.all(Array.from({ length: config.render.concurrency }, lane));
  clearInterval(timer);
  sample();
  const secs = (Date.now() - t0) / 1000;
  const max = (k: 'rssMb' | 'pssMb') => Math.max(...samples.map((s) => s[k]));
  const quarter = (k: 'rssMb' | 'pssMb', q: number) => {
    const part = samples.filter((s) => s.done >= (n * q) / 4 && s.done < (n * (q + 1)) / 4);
    return part.length ? Math.max(...part.map((s) => s[k])) : null;
  };
  console.log(JSON.stringify({
    pages: n, seconds: Math.round(secs), pagesPerSecond: Number((n / secs).toFixed(2)), concurrency: config.render.concurrency, recycleAfter: config.render.recycleAfter,
    maxRssMb: max('rssMb'), maxPssMb: max('pssMb'),
    maxPssByQuarter: [0, 1, 2, 3].map((q) => quarter('pssMb', q)), maxRssByQuarter: [0, 1, 2, 3].map((q) => quarter('rssMb', q)),
    stats: renderer.stats(), failures, timedOut, meanWords: Math.round(words / Math.max(1, n - failures)),
  }, null, 1));
  await renderer.close();
  await fetcher.close();
  await site.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
