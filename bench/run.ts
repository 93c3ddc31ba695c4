// `npm run bench`: Sitesweep's full pipeline measured as a ratio against a plain in-process crawl of the same site.
//
// Brings up the real stack itself (Temporal dev server, headless; PostgreSQL with real durability; migrations;
// a prebuilt workflow bundle), serves a generated site from a separate process, and runs, BENCH_RUNS times each,
// interleaved:
//   plain     baseline crawl: undici (16 connections) + cheerio/htmlparser2 + BFS with a Set + p-limit
//   analyze   the same crawl running Sitesweep's analyzePage on every page ("what the checks cost")
//   fetcher   (optional) analyze with Sitesweep's Fetcher instead of bare undici ("what the HTTP layer costs")
//   pipeline  siteAuditWorkflow through an in-process worker (createSitesweepWorker) ("orchestration + persistence")
// Every measurement runs in its own child process (bench/phase.ts) so peak RSS and CPU are its own.
//
// Env: BENCH_PAGES (default 2000), BENCH_RUNS (default 2; medians are reported), BENCH_VARIANTS (default
// "plain,analyze,pipeline"; add "fetcher"), BENCH_SETTINGS (pipeline settings to try, comma-separated
// "<auditBatchSize>x<parallelBatches>x<perHostConcurrency>[x<persistBatchSize>[x<connectionsPerHost>]]"; the best
// median is the pipeline row; append "+hb-throttle" / "+advisory-lock" to an entry to run it with a bench-only
// simulation of a proposed src change, see bench/README.md), BENCH_PROFILE=1 (CPU profile of the pipeline worker + SQL timings; slower).
// Writes bench/results.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { openDatabase } from '../src/db/dataSource';
import { createLogger } from '../src/logger';
import { createDatabase, dropDatabase, findOrBuildTemporalCli, startLocalPostgres, startTemporalDevServer, type LocalPostgres, type TemporalDevServer } from '../src/stack';
import type { ProfileSummary } from './cpuProfile';
import type { PhaseInput, PhaseResult, PipelineSettings } from './phase';
import { postmasterPid, treeRssMb } from './procStats';

const BENCH_DIR = __dirname;
const ROOT = path.join(__dirname, '..');

function intEnv(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer (got ${v})`);
  return n;
}

/**
 * Default pipeline setting: the workflow's default batch size and lanes (25 x 4), with perHostConcurrency and the
 * worker's connections per host at 16 to match the baseline (perHostConcurrency is a process-wide per-host gate).
 * 50x4x16 and 25x8x16 measured within noise of it (bench/README.md).
 */
export const DEFAULT_SETTINGS = '25x4x16x50x16';

export function parseSettings(spec: string): PipelineSettings[] {
  return spec.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [nums, ...experiments] = s.split('+');
    for (const e of experiments) if (!['hb-throttle', 'advisory-lock'].includes(e)) throw new Error(`unknown experiment "${e}" in BENCH_SETTINGS`);
    const [b, l, c, p, conn] = nums.split('x').map(Number);
    if (![b, l, c].every((n) => Number.isInteger(n) && n > 0)) throw new Error(`bad BENCH_SETTINGS entry "${s}" (want BxLxC[xP[xK]])`);
    return { auditBatchSize: b, parallelBatches: l, perHostConcurrency: c, persistBatchSize: p || 50, connectionsPerHost: conn || 16, experiments };
  });
}

export const settingsLabel = (s: PipelineSettings) =>
  `${s.auditBatchSize}x${s.parallelBatches}x${s.perHostConcurrency}x${s.persistBatchSize}x${s.connectionsPerHost}${s.experiments.map((e) => `+${e}`).join('')}`;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface SiteProcess {
  origin: string;
  pid: number;
  child: ChildProcess;
}

async function startSiteProcess(pages: number): Promise<SiteProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'fixtureSite.ts'), String(pages)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`fixture site exited (${code})`)));
  });
  const { origin } = JSON.parse(line) as { origin: string };
  return { origin, pid: child.pid!, child };
}

async function siteStats(origin: string): Promise<{ pageRequests: number; uniquePages: number; notFound: number }> {
  const res = await fetch(`${origin}/__bench/stats`);
  return (await res.json()) as { pageRequests: number; uniquePages: number; notFound: number };
}

async function resetSite(origin: string): Promise<void> {
  await fetch(`${origin}/__bench/reset`);
}

/** Prebuilt workflow bundle, as production workers load it (quietly: webpack's log is not the benchmark's). */
async function buildBundle(outFile: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'src', 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') });
  writeFileSync(outFile, code);
  return outFile;
}

function runPhase(input: PhaseInput): Promise<PhaseResult> {
  const args = ['--import', 'tsx', path.join(BENCH_DIR, 'phase.ts')];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_PHASE: JSON.stringify(input) } });
  return new Promise((resolve, reject) => {
    let result: PhaseResult | null = null;
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (l.startsWith('BENCH_RESULT ')) result = JSON.parse(l.slice('BENCH_RESULT '.length)) as PhaseResult;
    });
    child.once('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`phase ${JSON.stringify({ ...input, kind: input.kind })} failed (exit ${code})`))));
  });
}

interface Row {
  variant: string;
  settings?: string;
  runs: PhaseResult[];
  median: { seconds: number; pagesPerSec: number; peakRssMb: number; cpuSec: number };
}

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

async function main(): Promise<void> {
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn', 'bench');
  const pages = intEnv('BENCH_PAGES', 2_000);
  const runs = intEnv('BENCH_RUNS', 2);
  const variants = (process.env.BENCH_VARIANTS ?? 'plain,analyze,pipeline').split(',').map((v) => v.trim()).filter(Boolean);
  for (const v of variants) if (!['plain', 'analyze', 'fetcher', 'pipeline'].includes(v)) throw new Error(`unknown variant ${v}`);
  const settings = parseSettings(process.env.BENCH_SETTINGS ?? DEFAULT_SETTINGS);
  const profile = process.env.BENCH_PROFILE === '1';
  const t0 = Date.now();
  const loadBefore = os.loadavg();
  console.log(`sitesweep bench: ${pages} pages, ${runs} run(s) each, variants ${variants.join(', ')}; pipeline settings ${settings.map(settingsLabel).join(', ')} (batch x lanes x perHost x persistBatch x connections)`);

  const work = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-bench-'));
  let site: SiteProcess | null = null;
  let temporal: TemporalDevServer | null = null;
  let pg: LocalPostgres | null = null;
  const results: Record<string, Row> = {};
  const profiles: Record<string, ProfileSummary> = {};
  try {
    const needStack = variants.includes('pipeline');
    const cli = needStack ? await findOrBuildTemporalCli({ log }) : null;
    const [s, bundle, server, postgres] = await Promise.all([
      startSiteProcess(pages),
      needStack ? buildBundle(path.join(work, 'workflow-bundle.js')) : Promise.resolve(''),
      needStack ? startTemporalDevServer({ log, ui: false, ...(cli ? { executable: cli } : {}) }) : Promise.resolve(null),
      needStack ? startLocalPostgres({ relaxedDurability: false, log }) : Promise.resolve(null),
    ]);
    site = s;
    temporal = server;
    pg = postgres;
    console.log(`stack ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: site ${site.origin}${temporal ? `, temporal ${temporal.address}, postgres :${pg!.port}` : ''}`);

    for (let r = 0; r < runs; r++) {
      for (const variant of variants) {
        const todo: Array<PipelineSettings | null> = variant === 'pipeline' ? settings : [null];
        for (const st of todo) {
          await resetSite(site.origin);
          let result: PhaseResult;
          let dbName: string | null = null;
          if (st) {
            // A fresh, migrated database per pipeline run, outside the timed part.
            dbName = `bench_${r}_${Date.now()}`;
            const url = await createDatabase(pg!.adminUrl, dbName);
            await (await openDatabase({ url, migrate: true, poolSize: 2 })).destroy();
            result = await runPhase(
              {
                kind: 'pipeline', origin: site.origin, pages, settings: st, temporalAddress: temporal!.address, databaseUrl: url,
                bundlePath: bundle, pids: { temporal: temporal!.pid, postgres: postmasterPid(pg!.dataDir), site: site.pid }, profile,
              },
            );
            await dropDatabase(pg!.adminUrl, dbName).catch(() => {});
          } else {
            result = await runPhase({ kind: 'baseline', mode: variant as 'plain' | 'analyze' | 'fetcher', origin: site.origin, pages });
          }
          const served = await siteStats(site.origin);
          // Each variant must have crawled all N pages, and the site must have served each of them.
          if (result.pages !== pages || result.failed !== 0 || served.uniquePages !== pages) {
            throw new Error(`${variant} crawled ${result.pages} pages (${result.failed} failed; site served ${served.uniquePages} distinct pages), expected ${pages}`);
          }
          const key = st ? `pipeline ${settingsLabel(st)}` : variant;
          const row = (results[key] ??= { variant, ...(st ? { settings: settingsLabel(st) } : {}), runs: [], median: { seconds: 0, pagesPerSec: 0, peakRssMb: 0, cpuSec: 0 } });
          row.runs.push(result);
          const h = result.history;
          console.log(
            `  run ${r + 1}/${runs} ${key.padEnd(28)} ${fmt(result.ms / 1000, 2)} s  ${fmt((pages / result.ms) * 1000, 0)} pages/s  rss ${result.peakRssMb} MB  cpu ${fmt(result.cpuSec)} s  elu ${result.eventLoopUtilization}` +
              (h ? `  events ${h.events}  CAN ${h.continuedAsNew}  temporal cpu ${result.serverCpuSec!.temporal} s  pg cpu ${result.serverCpuSec!.postgres} s` : '') +
              (served.pageRequests !== pages ? `  (site served ${served.pageRequests} page requests)` : ''),
          );
          if (result.profile) profiles[`${key} run ${r + 1}`] = result.profile;
        }
      }
    }

    for (const row of Object.values(results)) {
      const secs = row.runs.map((x) => x.ms / 1000);
      row.median = {
        seconds: median(secs),
        pagesPerSec: median(row.runs.map((x) => (pages / x.ms) * 1000)),
        peakRssMb: Math.round(median(row.runs.map((x) => x.peakRssMb))),
        cpuSec: median(row.runs.map((x) => x.cpuSec)),
      };
    }
    const base = results.plain?.median.seconds;
    const pipelineRows = Object.values(results).filter((r) => r.variant === 'pipeline');
    const best = pipelineRows.sort((a, b) => a.median.seconds - b.median.seconds)[0];
    const tableRows = [
      ...['plain', 'analyze', 'fetcher'].map((v) => results[v]).filter(Boolean),
      ...pipelineRows,
    ];

    console.log('');
    console.log(`Medians of ${runs} run(s), ${pages} pages (~25 KB each), load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} cores:`);
    const header = ['variant', 'pages', 'seconds', 'pages/s', 'x plain', 'peak RSS MB', 'cpu s', 'history events', 'continue-as-new'];
    const lines = tableRows.map((row) => {
      const hist = row.runs.map((x) => x.history).filter(Boolean);
      return [
        row.settings ? `pipeline ${row.settings}${row === best && pipelineRows.length > 1 ? ' *' : ''}` : row.variant,
        String(pages),
        fmt(row.median.seconds, 2),
        fmt(row.median.pagesPerSec, 0),
        base ? fmt(row.median.seconds / base, 2) : '-',
        String(row.median.peakRssMb),
        fmt(row.median.cpuSec),
        hist.length ? String(median(hist.map((x) => x!.events))) : '-',
        hist.length ? String(median(hist.map((x) => x!.continuedAsNew))) : '-',
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const pr = (cells: string[]) => console.log(cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
    pr(header);
    pr(widths.map((w) => '-'.repeat(w)));
    lines.forEach(pr);

    if (best) {
      const last = best.runs[best.runs.length - 1];
      const h = last.history!;
      console.log('');
      console.log(`Pipeline ${best.settings} (last run): worker cpu ${fmt(last.cpuSec)} s, event loop busy ${Math.round(last.eventLoopUtilization * 100)}%, temporal cpu ${last.serverCpuSec!.temporal} s, postgres cpu ${last.serverCpuSec!.postgres} s, site cpu ${last.serverCpuSec!.site} s`);
      console.log(`  history: ${h.events} events over ${h.executions} execution(s), activity payloads ${fmt(h.payloadBytes / 1e6)} MB (max ${fmt(h.maxExecutionPayloadBytes / 1e6)} MB in one execution), ${h.workflowTasks} workflow tasks (${h.workflowTaskMs} ms scheduled→completed)`);
      for (const [type, a] of Object.entries(h.activities).sort((x, y) => y[1].runMs - x[1].runMs)) {
        console.log(`  ${type.padEnd(13)} ×${String(a.count).padStart(4)}  run ${fmt(a.runMs / 1000)} s (mean ${fmt(a.runMs / Math.max(1, a.count), 0)} ms, max ${a.maxRunMs} ms)  queued ${fmt(a.queueMs / 1000)} s  in ${fmt(a.inputBytes / 1e6, 2)} MB  out ${fmt(a.resultBytes / 1e6, 2)} MB${a.attempts > a.count ? `  retries ${a.attempts - a.count}` : ''}`);
      }
      if (last.sql) {
        console.log('  SQL (wall ms, includes event-loop waits):');
        for (const q of last.sql.slice(0, 12)) console.log(`    ${q.label.padEnd(24)} ×${String(q.count).padStart(5)}  ${q.ms} ms`);
      }
    }
    for (const [name, p] of Object.entries(profiles)) {
      if (p.totalMs < 500) continue;
      console.log(`\nCPU profile ${name} (${p.totalMs} ms sampled, self time):`);
      for (const c of p.byCategory) console.log(`  ${c.category.padEnd(40)} ${String(c.ms).padStart(6)} ms  ${fmt(c.pct)}%`);
      console.log('  top functions:');
      for (const f of p.topFunctions) console.log(`  ${f.fn.slice(0, 80).padEnd(80)} ${String(f.ms).padStart(6)} ms  ${fmt(f.pct)}%`);
    }

    const out = {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavgBefore: loadBefore, loadavgAfter: os.loadavg() },
      config: { pages, runs, variants, settings: settings.map(settingsLabel), profile, postgresDurability: 'fsync on, synchronous_commit on' },
      baselineSeconds: base ?? null,
      bestPipeline: best?.settings ?? null,
      rows: tableRows.map((row) => ({
        variant: row.variant,
        settings: row.settings ?? null,
        pages,
        seconds: row.median.seconds,
        pagesPerSec: Math.round(row.median.pagesPerSec),
        ratioVsPlain: base ? Math.round((row.median.seconds / base) * 100) / 100 : null,
        peakRssMb: row.median.peakRssMb,
        cpuSec: row.median.cpuSec,
        historyEvents: row.runs[0].history ? median(row.runs.map((x) => x.history!.events)) : null,
        continuedAsNew: row.runs[0].history ? median(row.runs.map((x) => x.history!.continuedAsNew)) : null,
        runs: row.runs,
      })),
      profiles,
      stackRssMb: { temporal: treeRssMb(temporal?.pid), postgres: treeRssMb(pg ? postmasterPid(pg.dataDir) : null) },
      totalSeconds: Math.round((Date.now() - t0) / 1000),
    };
    writeFileSync(path.join(BENCH_DIR, 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
    console.log(`\nwrote bench/results.json (${out.totalSeconds} s in all)`);
  } finally {
    site?.child.stdin?.end();
    await temporal?.stop().catch(() => {});
    await pg?.dispose().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
