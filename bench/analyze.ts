// `npm run bench:analyze`: CPU cost of the per-page analysis (src/audit/analyzePage.ts) alone, single-threaded, on
// the bench fixture's pages (bench/fixtureSite.ts: ~25 KB, ~46 links, the same defects the pipeline bench crawls).
// Prints CPU ms per page (user + system of this process; median and best of the timed rounds); ANALYZE_PROFILE=1 also profiles the
// timed rounds (node:inspector) and prints the self-time share by file and the top functions.
import type { FetchedPage } from '../src/audit/types';
import { analyzePage, type AnalyzeOptions } from '../src/audit/analyzePage';
import { profileMainThread, type ProfileSummary } from './cpuProfile';
import { pagePath, respond } from './fixtureSite';

const ORIGIN = 'http://127.0.0.1:8080';
const SITE_PAGES = 10_000;

/** The 200 responses among the first `count` URLs of the fixture (error pages and redirects cost next to nothing). */
export function fixturePages(count: number): FetchedPage[] {
  const pages: FetchedPage[] = [];
  for (let i = 0; i < count; i++) {
    const r = respond(ORIGIN, i, SITE_PAGES);
    if (r.status !== 200) continue;
    const url = ORIGIN + pagePath(i);
    pages.push({
      url, finalUrl: url, statusCode: 200, headers: { 'content-type': r.type }, redirectChain: [], contentType: r.type,
      bytes: r.body.length, ttfbMs: 1, durationMs: 2, body: r.body.toString(),
    });
  }
  return pages;
}

/** Analyses every page `rounds` times; CPU ms per page of each round (user + system of this process). */
function run(pages: readonly FetchedPage[], rounds: number, opts: AnalyzeOptions): { findings: number; perRound: number[] } {
  let findings = 0;
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    for (const p of pages) findings += analyzePage(p, opts).findings.length;
    const cpu = process.cpuUsage(c0);
    perRound.push((cpu.user + cpu.system) / 1000 / pages.length);
  }
  return { findings, perRound };
}

async function main(): Promise<void> {
  const count = Number(process.env.ANALYZE_PAGES ?? 600);
  const rounds = Number(process.env.ANALYZE_ROUNDS ?? 7);
  const profile = process.env.ANALYZE_PROFILE === '1';
  const opts: AnalyzeOptions = { siteHost: '127.0.0.1:8080', userAgentToken: 'sitesweep', now: 1_800_000_000_000 };
  const pages = fixturePages(count);
  run(pages, 1, opts); // warm-up: the JIT has seen every path before the timed rounds

  const t0 = performance.now();
  let summary: ProfileSummary | null = null;
  let result: ReturnType<typeof run>;
  if (profile) ({ value: result, profile: summary } = await profileMainThread(async () => run(pages, rounds, opts), 15));
  else result = run(pages, rounds, opts);
  const wallMs = performance.now() - t0;
  const n = rounds * pages.length;
  const avgKb = pages.reduce((a, p) => a + p.bytes, 0) / pages.length / 1024;
  // The machine is shared: the median and the best round say more than the mean.
  const sorted = [...result.perRound].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`analyzePage: ${n} pages (${pages.length} × ${rounds} rounds, avg ${avgKb.toFixed(1)} KB), ` +
    `CPU ${median.toFixed(3)} ms/page (median round; best ${sorted[0].toFixed(3)}), wall ${(wallMs / n).toFixed(3)} ms/page, ` +
    `${result.findings} findings${profile ? ' (profiled: the sampler adds some cost)' : ''}`);
  if (summary) {
    console.log(`\nself time by file (${summary.totalMs} ms):`);
    for (const c of summary.byCategory) console.log(`  ${c.pct.toFixed(1).padStart(5)}%  ${String(c.ms).padStart(6)} ms  ${c.category}`);
    console.log('\ntop functions (self time):');
    for (const f of summary.topFunctions) console.log(`  ${f.pct.toFixed(1).padStart(5)}%  ${String(f.ms).padStart(6)} ms  ${f.fn}`);
  }
}

if (require.main === module) void main();
