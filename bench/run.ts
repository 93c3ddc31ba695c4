// `npm run bench`: Sitesweep's full pipeline measured side by side with a plain in-process crawl of the same site.
//
// Brings up the real stack itself (Temporal dev server, headless; PostgreSQL with real durability; migrations;
// a prebuilt workflow bundle), serves a generated site with realistic defects (bench/fixtureSite.ts) from a separate
// process, and measures, BENCH_RUNS times each, interleaved:
//   plain            baseline crawl: undici (16 connections) + cheerio/htmlparser2 + BFS with a Set + p-limit
//   analyze          the same crawl running Sitesweep's analyzePage on every page ("plain + checks")
//   fetcher          (optional) analyze with Sitesweep's Fetcher instead of bare undici ("what the HTTP layer costs")
//   pipeline         POST /api/runs to an API + worker (bench/phase.ts), until Temporal says Completed; fresh database
//   pipeline-loaded  the same on a database that already holds BENCH_PRELOAD_RUNS (3) earlier real runs of other
//                    fixture sites (made once, before the measurements, then cloned per measurement as a template)
// Every measurement runs in its own child process (bench/phase.ts) so peak RSS and CPU are its own. Every variant
// must cover exactly the site's N URLs; the pipeline must leave exactly N rows (N distinct URLs) in page_audits with
// the 500 pages as failures, and its workflow chain must be Completed in Temporal.
//
// Env: BENCH_PAGES (default 10000, at most 100000), BENCH_RUNS (default 1; medians are reported), BENCH_VARIANTS
// (default "plain,analyze,pipeline,pipeline-loaded"; add "fetcher"), BENCH_SETTINGS (pipeline settings to try,
// comma-separated "<auditBatchSize>x<parallelBatches>x<perHostConcurrency>[x<persistBatchSize>[x<connectionsPerHost>]]";
// the best median is the pipeline row; append "+hb-throttle" / "+advisory-lock" to an entry to run it with a
// bench-only simulation of a proposed src change, see bench/README.md), BENCH_PRELOAD_RUNS (3), BENCH_PRELOAD_PAGES
// (default BENCH_PAGES), BENCH_FETCH_RETRIES (2: the pipeline's default, used by every variant), BENCH_PROFILE=1
// (CPU profile of the pipeline worker + SQL timings; slower; BENCH_PROFILE_OUT=<file> also writes the raw .cpuprofile),
// BENCH_WORKER_NODE_ARGS (node/V8 flags for the pipeline's process, e.g. "--trace-deopt"), BENCH_SITE_LATENCY_MS
// (default 0: every answer of the measured site that late, as a remote host's round trip, so every variant is bound by
// its 16 connections rather than by CPU; the goals are set for 0), BENCH_RESULTS (default bench/results.json).
// An existing stack instead of a new one (the smoke test): BENCH_TEMPORAL_ADDRESS, BENCH_PG_ADMIN_URL,
// BENCH_WORKFLOW_BUNDLE.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import { openDatabase } from '../src/db/dataSource';
import { createLogger } from '../src/logger';
import { createDatabase, dropDatabase, findOrBuildTemporalCli, startLocalPostgres, startTemporalDevServer, type LocalPostgres, type TemporalDevServer } from '../src/stack';
import { WORKER_MALLOC_ARENA_MAX, workerMemoryEnv } from '../src/workerMemory';
import type { ProfileSummary } from './cpuProfile';
import { siteProfile, type BenchSiteStats } from './fixtureSite';
import type { PhaseInput, PhaseResult, PipelineSettings } from './phase';
import { postmasterPid, treeRssMb } from './procStats';
import { resetSite, siteLatencyFromEnv, siteStats, startSiteProcess, type SiteProcess } from './siteProcess';

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
 * Default pipeline setting: the workflow's default batch size and lanes (100 x 6) and persist batch (50), with
 * perHostConcurrency (the run default is 4) and the worker's connections per host at 16 to match the baseline's 16
 * connections (perHostConcurrency holds across worker processes: leases in host_slots).
 */
export const DEFAULT_SETTINGS = '100x6x16x50x16';

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

/**
 * A variant's speed against a baseline, round by round: each of its runs (wall ms) against the baseline's run of the
 * same round (the last one when the baseline has fewer), as pages/s ratios. The variants of a round run back to back.
 */
export function roundRatios(runsMs: readonly number[], baselineMs: readonly number[]): number[] {
  if (baselineMs.length === 0) return [];
  return runsMs.map((ms, i) => baselineMs[Math.min(i, baselineMs.length - 1)] / ms);
}

/** Prebuilt workflow bundle, as production workers load it (quietly: webpack's log is not the benchmark's). */
async function buildBundle(outFile: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'src', 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') });
  writeFileSync(outFile, code);
  return outFile;
}

function runPhase(input: PhaseInput): Promise<PhaseResult> {
  // BENCH_WORKER_NODE_ARGS: node/V8 flags for the pipeline's process only, for experiments NODE_OPTIONS refuses
  // (e.g. --trace-deopt, --interrupt-budget=…); the baselines keep node's defaults.
  const extra = input.kind === 'pipeline' ? (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean) : [];
  const args = [...extra, '--import', 'tsx', path.join(BENCH_DIR, 'phase.ts')];
  // The phase runs the worker as users do: the worker script, the image and the compose file set MALLOC_ARENA_MAX=2,
  // a 156 MB old generation and 8 MB semi-spaces for the worker's main thread (NODE_OPTIONS given to the bench comes
  // after, so it wins: workerMemoryEnv). The baselines keep node's defaults.
  const base = input.kind === 'pipeline' ? workerMemoryEnv() : { MALLOC_ARENA_MAX: WORKER_MALLOC_ARENA_MAX, ...process.env };
  const env = { ...base, BENCH_PHASE: JSON.stringify(input) };
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env });
  return new Promise((resolve, reject) => {
    let result: PhaseResult | null = null;
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (l.startsWith('BENCH_RESULT ')) result = JSON.parse(l.slice('BENCH_RESULT '.length)) as PhaseResult;
      // Anything else on the phase's stdout (V8's --trace-* output under BENCH_WORKER_NODE_ARGS) goes to stderr.
      else process.stderr.write(`${l}\n`);
    });
    child.once('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`phase ${JSON.stringify({ ...input, kind: input.kind })} failed (exit ${code})`))));
  });
}

/** A copy of a database (PostgreSQL's CREATE DATABASE … TEMPLATE: files, rows and statistics). */
/** With BENCH_PROFILE=1 the bench's own PostgreSQL loads pg_stat_statements: server-side time per statement (the links' COPY included). */
const PG_STAT_STATEMENTS = { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' };

/** Resets the statement statistics; `read()` then gives the top statements of this database since the reset. */
async function statementStats(url: string): Promise<{ read(): Promise<NonNullable<PhaseResult['pgStatements']>> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await c.query('SELECT pg_stat_statements_reset()');
  } finally {
    await c.end();
  }
  return {
    async read() {
      const r = new pg.Client({ connectionString: url });
      await r.connect();
      try {
        const { rows } = await r.query(
          `SELECT calls::int, round(total_exec_time)::int AS ms, rows::bigint AS rows, round(wal_bytes / 1e6)::int AS "walMb",
                  left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS query
             FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            ORDER BY total_exec_time DESC LIMIT 12`,
        );
        return rows.map((x) => ({ ...x, rows: Number(x.rows) }));
      } finally {
        await r.end();
      }
    },
  };
}

async function cloneDatabase(adminUrl: string, template: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE ${c.escapeIdentifier(template)}`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export type Variant = 'plain' | 'analyze' | 'fetcher' | 'pipeline' | 'pipeline-loaded';
const VARIANTS: Variant[] = ['plain', 'analyze', 'fetcher', 'pipeline', 'pipeline-loaded'];
const LABELS: Record<Variant, string> = {
  plain: 'plain crawl',
  analyze: 'plain + checks',
  fetcher: 'checks + Fetcher',
  pipeline: 'pipeline, fresh db',
  'pipeline-loaded': 'pipeline, db with earlier runs',
};

/** The goals of issue 9, next to what was measured. */
export const GOALS = {
  vsPlain: 0.5,
  vsChecks: 0.85,
  summarizeShare: 0.05,
  rssMb: 400,
  eventsPerRun: 10_000,
};

interface Row {
  key: string;
  variant: Variant;
  settings?: string;
  runs: PhaseResult[];
  median: { seconds: number; pagesPerSec: number; peakRssMb: number; cpuSec: number };
}

/** What a pipeline row's history says (medians over its runs). */
interface PipelineStats {
  maxEventsPerRun: number;
  totalEvents: number;
  continuedAsNew: number;
  summarizeMs: number;
  workflowMs: number;
  summarizeShare: number;
}

function pipelineStats(row: Row): PipelineStats | null {
  const hs = row.runs.map((r) => r.history).filter((h) => h !== undefined);
  if (hs.length === 0) return null;
  const summarizeMs = median(hs.map((h) => h.activities.summarize?.scheduledToCloseMs ?? 0));
  const workflowMs = median(hs.map((h) => h.workflowMs));
  return {
    maxEventsPerRun: median(hs.map((h) => h.maxExecutionEvents)),
    totalEvents: median(hs.map((h) => h.events)),
    continuedAsNew: median(hs.map((h) => h.continuedAsNew)),
    summarizeMs,
    workflowMs,
    summarizeShare: median(hs.map((h) => (h.workflowMs > 0 ? (h.activities.summarize?.scheduledToCloseMs ?? 0) / h.workflowMs : 0))),
  };
}

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}
const round3 = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
const ratioGoal = (value: number | null, goal: number) =>
  (value === null ? { value: null, shown: '-', ok: null } : { value, shown: pct(value), ok: value >= goal });
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${Math.round(x * 100)}%`);

function printTable(header: string[], lines: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const pr = (cells: string[]) => console.log(cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  pr(header);
  pr(widths.map((w) => '-'.repeat(w)));
  lines.forEach(pr);
}

/** Checks that a measurement covered the site exactly; throws with what differs. */
function checkCoverage(key: string, result: PhaseResult, served: BenchSiteStats, pages: number, failing: number): void {
  const problems: string[] = [];
  if (result.pages !== pages) problems.push(`${result.pages} URLs done, expected ${pages}`);
  if (result.failed !== failing) problems.push(`${result.failed} failed, expected ${failing} (the site's 500 pages)`);
  if (served.uniquePages !== pages) problems.push(`the site served ${served.uniquePages} distinct URLs of ${pages}`);
  if (result.rows) {
    const r = result.rows;
    if (r.total !== pages || r.distinctUrlHashes !== pages || r.distinctUrls !== pages) {
      problems.push(`page_audits holds ${r.total} rows (${r.distinctUrlHashes} distinct url hashes, ${r.distinctUrls} distinct URLs), expected ${pages}`);
    }
    if (r.failed !== failing) problems.push(`page_audits holds ${r.failed} failed rows, expected ${failing}`);
  }
  if (result.temporalStatus !== undefined && result.temporalStatus !== 'COMPLETED') problems.push(`Temporal says ${result.temporalStatus}`);
  if (result.database && result.database.status !== 'completed') problems.push(`the run's row says ${result.database.status}`);
  // The row may say completed only after the workflow has (1 ms of slack: the two clocks round differently).
  if (result.database && !(result.database.completedAfterCloseMs >= -1)) problems.push(`the row said completed ${result.database.completedAfterCloseMs} ms after the close`);
  if (result.history && result.history.closeEvent !== 'WorkflowExecutionCompleted') problems.push(`last history event ${result.history.closeEvent}`);
  if (problems.length > 0) throw new Error(`${key}: ${problems.join('; ')}`);
}

async function main(): Promise<void> {
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn', 'bench');
  const pages = intEnv('BENCH_PAGES', 10_000);
  if (pages > 100_000) throw new Error('BENCH_PAGES is at most 100000 (the API\'s maxPages cap)');
  const runs = intEnv('BENCH_RUNS', 1);
  const preloadRuns = intEnv('BENCH_PRELOAD_RUNS', 3);
  const preloadPages = intEnv('BENCH_PRELOAD_PAGES', pages);
  const fetchRetries = Number(process.env.BENCH_FETCH_RETRIES ?? 2);
  if (!Number.isInteger(fetchRetries) || fetchRetries < 0 || fetchRetries > 5) throw new Error('BENCH_FETCH_RETRIES must be 0..5');
  const latencyMs = siteLatencyFromEnv();
  const variants = (process.env.BENCH_VARIANTS ?? 'plain,analyze,pipeline,pipeline-loaded').split(',').map((v) => v.trim()).filter(Boolean) as Variant[];
  for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`unknown variant ${v} (known: ${VARIANTS.join(', ')})`);
  const settings = parseSettings(process.env.BENCH_SETTINGS ?? DEFAULT_SETTINGS);
  const profile = process.env.BENCH_PROFILE === '1';
  const resultsPath = process.env.BENCH_RESULTS ?? path.join(BENCH_DIR, 'results.json');
  const external = process.env.BENCH_TEMPORAL_ADDRESS && process.env.BENCH_PG_ADMIN_URL
    ? { temporal: process.env.BENCH_TEMPORAL_ADDRESS, pgAdmin: process.env.BENCH_PG_ADMIN_URL, bundle: process.env.BENCH_WORKFLOW_BUNDLE }
    : null;
  const site0 = siteProfile(pages);
  const t0 = Date.now();
  const loadBefore = os.loadavg();
  console.log(`sitesweep bench: ${pages} URLs (${site0.not_found} 404, ${site0.error} 500, ${site0.redirect} redirect chains, ${site0.slow} slow, ${site0.noindex} noindex), ${runs} run(s) each`);
  console.log(`  variants ${variants.join(', ')}; pipeline settings ${settings.map(settingsLabel).join(', ')} (batch x lanes x perHost x persistBatch x connections); fetch retries ${fetchRetries}${latencyMs ? `; site latency ${latencyMs} ms` : ''}`);

  const work = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-bench-'));
  let site: SiteProcess | null = null;
  let temporal: TemporalDevServer | null = null;
  let postgres: LocalPostgres | null = null;
  let template: string | null = null;
  let adminUrl = '';
  const results: Record<string, Row> = {};
  const profiles: Record<string, ProfileSummary> = {};
  const preload: Array<{ site: string; pages: number; seconds: number; pagesPerSec: number; rows: number }> = [];
  try {
    const needStack = variants.some((v) => v.startsWith('pipeline'));
    const cli = needStack && !external ? await findOrBuildTemporalCli({ log }) : null;
    const [s, bundle, server, pgServer] = await Promise.all([
      startSiteProcess(pages, 0, latencyMs),
      !needStack ? Promise.resolve('') : external?.bundle ? Promise.resolve(external.bundle) : buildBundle(path.join(work, 'workflow-bundle.js')),
      needStack && !external ? startTemporalDevServer({ log, ui: false, ...(cli ? { executable: cli } : {}) }) : Promise.resolve(null),
      needStack && !external ? startLocalPostgres({ relaxedDurability: false, log, ...(process.env.BENCH_PG_DIR ? { dataDir: process.env.BENCH_PG_DIR, persistent: true } : {}), ...(profile ? { serverSettings: PG_STAT_STATEMENTS } : {}) }) : Promise.resolve(null),
    ]);
    site = s;
    temporal = server;
    postgres = pgServer;
    const temporalAddress = external?.temporal ?? temporal?.address ?? '';
    adminUrl = external?.pgAdmin ?? postgres?.adminUrl ?? '';
    const pids = () => ({ temporal: temporal?.pid ?? null, postgres: postgres ? postmasterPid(postgres.dataDir) : null, site: site?.pid ?? null });
    console.log(`stack ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: site ${site.origin}${needStack ? `, temporal ${temporalAddress}${external ? ' (given)' : ''}` : ''}`);

    const pipelineInput = (st: PipelineSettings, origin: string, n: number, databaseUrl: string, sitePid: number | null): PhaseInput => ({
      kind: 'pipeline', origin, pages: n, fetchRetries, settings: st, temporalAddress, databaseUrl, bundlePath: bundle,
      pids: { ...pids(), site: sitePid }, profile,
    });

    if (variants.includes('pipeline-loaded')) {
      // Earlier runs of other sites, made by the real pipeline, once; each measurement gets a copy of this database.
      template = `bench_tpl_${Date.now()}`;
      const url = await createDatabase(adminUrl, template);
      await (await openDatabase({ url, migrate: true, poolSize: 2 })).destroy();
      for (let k = 1; k <= preloadRuns; k++) {
        const other = await startSiteProcess(preloadPages, k);
        try {
          const r = await runPhase(pipelineInput(settings[0], other.origin, preloadPages, url, other.pid));
          checkCoverage(`preload run ${k}`, r, await siteStats(other.origin), preloadPages, siteProfile(preloadPages).failing);
          preload.push({ site: other.origin, pages: preloadPages, seconds: r.ms / 1000, pagesPerSec: Math.round((preloadPages / r.ms) * 1000), rows: r.rows!.total });
          console.log(`  preload ${k}/${preloadRuns}: ${preloadPages} URLs of ${other.origin} in ${fmt(r.ms / 1000, 2)} s`);
        } finally {
          other.child.stdin?.end();
        }
      }
    }

    for (let r = 0; r < runs; r++) {
      for (const variant of variants) {
        const todo: Array<PipelineSettings | null> = variant.startsWith('pipeline') ? settings : [null];
        for (const st of todo) {
          await resetSite(site.origin);
          let result: PhaseResult;
          if (st) {
            // A fresh migrated database (or a copy of the preloaded one) per pipeline run, outside the timed part.
            const dbName = `bench_${r}_${Date.now()}`;
            let url: string;
            if (variant === 'pipeline-loaded') {
              url = await cloneDatabase(adminUrl, template!, dbName);
            } else {
              url = await createDatabase(adminUrl, dbName);
              await (await openDatabase({ url, migrate: true, poolSize: 2 })).destroy();
            }
            try {
              const statements = profile && !external ? await statementStats(url) : null;
              result = await runPhase(pipelineInput(st, site.origin, pages, url, site.pid));
              if (statements) result.pgStatements = await statements.read();
            } finally {
              if (!process.env.BENCH_PG_DIR) await dropDatabase(adminUrl, dbName).catch(() => {});
              else console.log(`kept database ${dbName} in ${process.env.BENCH_PG_DIR}`);
            }
          } else {
            result = await runPhase({ kind: 'baseline', mode: variant as 'plain' | 'analyze' | 'fetcher', origin: site.origin, pages, fetchRetries });
          }
          const key = st ? `${variant} ${settingsLabel(st)}` : variant;
          checkCoverage(key, result, await siteStats(site.origin), pages, site0.failing);
          const row = (results[key] ??= { key, variant, ...(st ? { settings: settingsLabel(st) } : {}), runs: [], median: { seconds: 0, pagesPerSec: 0, peakRssMb: 0, cpuSec: 0 } });
          row.runs.push(result);
          const h = result.history;
          console.log(
            `  run ${r + 1}/${runs} ${key.padEnd(32)} ${fmt(result.ms / 1000, 2)} s  ${fmt((pages / result.ms) * 1000, 0)} pages/s  rss ${result.peakRssMb} MB  cpu ${fmt(result.cpuSec)} s  elu ${result.eventLoopUtilization}` +
              (h ? `  events ${h.events} (max ${h.maxExecutionEvents}/run)  CAN ${h.continuedAsNew}  temporal cpu ${result.serverCpuSec!.temporal} s  pg cpu ${result.serverCpuSec!.postgres} s` : ''),
          );
          const th = result.threads;
          if (th) console.log(`    cpu by thread: main ${th.main} s, runtime helpers (GC, JIT) ${th.runtime} s, other threads ${th.later.join(' + ') || '0'} s (analysis, Temporal core, libuv)`);
          // Runnable but not running: a thread that waited long for a core was starved by the others, not idle.
          if (th?.waiting) console.log(`    waiting for a core: main ${th.waiting.main} s, runtime helpers ${th.waiting.runtime} s, other threads ${th.waiting.later.join(' + ') || '0'} s`);
          if (result.profile) profiles[`${key} run ${r + 1}`] = result.profile;
        }
      }
    }

    for (const row of Object.values(results)) {
      row.median = {
        seconds: median(row.runs.map((x) => x.ms / 1000)),
        pagesPerSec: median(row.runs.map((x) => (pages / x.ms) * 1000)),
        peakRssMb: Math.round(median(row.runs.map((x) => x.peakRssMb))),
        cpuSec: median(row.runs.map((x) => x.cpuSec)),
      };
    }
    const plainPps = results.plain?.median.pagesPerSec ?? null;
    const checksPps = results.analyze?.median.pagesPerSec ?? null;
    // A row's speed against a baseline, round by round: each run against the baseline's run of the same round (the
    // variants of a round run back to back). This host's speed drifts by up to ~30% within minutes (the same pages
    // took 14.5 and then 18.9 CPU-s): a ratio of medians can pair a fast pipeline run with a slow baseline run of
    // another round, a median of same-round ratios cannot.
    const ratiosOf = (row: Row, base: Row | undefined): number[] | null =>
      (base ? roundRatios(row.runs.map((x) => x.ms), base.runs.map((x) => x.ms)) : null);
    const pairedRatio = (row: Row, base: Row | undefined): number | null => {
      const r = ratiosOf(row, base);
      return r ? median(r) : null;
    };
    const vsPlain = (row: Row) => pairedRatio(row, results.plain);
    const vsChecks = (row: Row) => pairedRatio(row, results.analyze);
    const bestOf = (variant: Variant) => Object.values(results).filter((x) => x.variant === variant).sort((a, b) => a.median.seconds - b.median.seconds)[0];
    const best = { pipeline: bestOf('pipeline'), 'pipeline-loaded': bestOf('pipeline-loaded') };
    const ordered = VARIANTS.flatMap((v) => Object.values(results).filter((x) => x.variant === v));
    const multi = settings.length > 1;

    console.log('');
    console.log(`Medians of ${runs} run(s) (ratios: the median of each round's own), ${pages} URLs (~25 KB pages), load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} cores:`);
    printTable(
      ['variant', 'seconds', 'pages/s', 'vs plain', 'vs checks', 'peak RSS MB', 'cpu s', 'events max/run', 'events total', 'CAN', 'summarize'],
      ordered.map((row) => {
        const ps = pipelineStats(row);
        const isBest = multi && (row === best.pipeline || row === best['pipeline-loaded']);
        return [
          `${LABELS[row.variant]}${row.settings && multi ? ` ${row.settings}` : ''}${isBest ? ' *' : ''}`,
          fmt(row.median.seconds, 2),
          fmt(row.median.pagesPerSec, 0),
          pct(vsPlain(row)),
          pct(vsChecks(row)),
          String(row.median.peakRssMb),
          fmt(row.median.cpuSec),
          ps ? String(ps.maxEventsPerRun) : '-',
          ps ? String(ps.totalEvents) : '-',
          ps ? String(ps.continuedAsNew) : '-',
          ps ? `${fmt(ps.summarizeShare * 100)}%` : '-',
        ];
      }),
    );

    // Goals next to the measured values, for the fresh and the loaded database.
    const goalRows: Array<{ metric: string; goal: string; test: (row: Row, ps: PipelineStats) => { value: number | null; shown: string; ok: boolean | null } }> = [
      { metric: 'pipeline / plain (pages/s)', goal: `>= ${pct(GOALS.vsPlain)}`, test: (row) => ratioGoal(vsPlain(row), GOALS.vsPlain) },
      { metric: 'pipeline / (plain + checks)', goal: `>= ${pct(GOALS.vsChecks)}`, test: (row) => ratioGoal(vsChecks(row), GOALS.vsChecks) },
      { metric: 'summarize share of wall time', goal: `<= ${pct(GOALS.summarizeShare)}`, test: (_r, ps) => ({ value: ps.summarizeShare, shown: `${fmt(ps.summarizeShare * 100)}% (${fmt(ps.summarizeMs / 1000)} of ${fmt(ps.workflowMs / 1000)} s)`, ok: ps.summarizeShare <= GOALS.summarizeShare }) },
      { metric: 'peak worker RSS', goal: `< ${GOALS.rssMb} MB`, test: (row) => ({ value: row.median.peakRssMb, shown: `${row.median.peakRssMb} MB`, ok: row.median.peakRssMb < GOALS.rssMb }) },
      { metric: 'history events per run (max)', goal: `< ${GOALS.eventsPerRun}`, test: (_r, ps) => ({ value: ps.maxEventsPerRun, shown: `${ps.maxEventsPerRun} (total ${ps.totalEvents}, ${ps.continuedAsNew} CAN)`, ok: ps.maxEventsPerRun < GOALS.eventsPerRun }) },
    ];
    const goalResults: Record<string, Record<string, { value: number | null; ok: boolean | null }>> = {};
    const goalCols = (['pipeline', 'pipeline-loaded'] as const).filter((v) => best[v]);
    if (goalCols.length > 0) {
      console.log('');
      console.log('Goals (issue 9):');
      printTable(
        ['metric', 'goal', ...goalCols.map((v) => `${LABELS[v]}${multi ? ` (${best[v].settings})` : ''}`)],
        goalRows.map((g) => [
          g.metric,
          g.goal,
          ...goalCols.map((v) => {
            const t = g.test(best[v], pipelineStats(best[v])!);
            ((goalResults[v] ??= {})[g.metric] = { value: t.value, ok: t.ok });
            return `${t.shown}${t.ok === null ? '' : t.ok ? '  ok' : '  MISSED'}`;
          }),
        ]),
      );
    }

    // The ratios behind each pipeline row's median, so an outlier round shows (and one round says it is one).
    const byRound = (row: Row): number[] | null => (row.variant.startsWith('pipeline') ? ratiosOf(row, results.analyze) : null);
    const rounds = ordered.map((row) => ({ row, ratios: byRound(row) })).filter((x): x is { row: Row; ratios: number[] } => x.ratios !== null);
    if (rounds.length > 0) {
      console.log('');
      for (const { row, ratios } of rounds) {
        console.log(`${LABELS[row.variant]}${row.settings && multi ? ` ${row.settings}` : ''} against plain + checks, round by round: ${ratios.map(pct).join(', ')}`);
      }
      if (runs === 1) console.log('  (one round: ratios on a shared machine move by 10-20 points between runs; BENCH_RUNS=3 gives medians of interleaved rounds)');
    }

    const detail = best.pipeline ?? best['pipeline-loaded'];
    if (detail) {
      const last = detail.runs[detail.runs.length - 1];
      const h = last.history!;
      console.log('');
      console.log(`${LABELS[detail.variant]} ${detail.settings} (last run): worker cpu ${fmt(last.cpuSec)} s, event loop busy ${Math.round(last.eventLoopUtilization * 100)}%, temporal cpu ${last.serverCpuSec!.temporal} s, postgres cpu ${last.serverCpuSec!.postgres} s, site cpu ${last.serverCpuSec!.site} s`);
      if (checksPps) {
        // What the 85% goal leaves: plain + checks runs on one core; the pipeline may use them all, for everything.
        const cores = os.cpus().length;
        const goalSec = pages / (checksPps * GOALS.vsChecks);
        const srv = last.serverCpuSec!;
        const used = last.cpuSec + srv.temporal + srv.postgres + srv.site;
        console.log(`  cpu budget: at ${pct(GOALS.vsChecks)} of plain + checks the run would take ${fmt(goalSec)} s, ${fmt(goalSec * cores)} core-s on ${cores} cores; ` +
          `this run used ${fmt(used)} core-s (worker, Temporal, PostgreSQL, site) in ${fmt(last.ms / 1000)} s, cores ${pct(used / ((last.ms / 1000) * cores))} busy`);
      }
      console.log(`  page_audits: ${last.rows!.total} rows (${last.rows!.ok} ok, ${last.rows!.failed} failed), Temporal: ${last.temporalStatus}` +
        (last.database ? `, the run's row: ${last.database.status} ${last.database.completedAfterCloseMs} ms after the close` : ''));
      console.log(`  history: ${h.events} events over ${h.executions} execution(s) (max ${h.maxExecutionEvents}), activity payloads ${fmt(h.payloadBytes / 1e6)} MB (max ${fmt(h.maxExecutionPayloadBytes / 1e6)} MB in one execution), ${h.workflowTasks} workflow tasks (${h.workflowTaskMs} ms scheduled→completed)`);
      for (const [type, a] of Object.entries(h.activities).sort((x, y) => y[1].runMs - x[1].runMs)) {
        console.log(`  ${type.padEnd(13)} ×${String(a.count).padStart(4)}  run ${fmt(a.runMs / 1000)} s (mean ${fmt(a.runMs / Math.max(1, a.count), 0)} ms, max ${a.maxRunMs} ms)  queued ${fmt(a.queueMs / 1000)} s  in ${fmt(a.inputBytes / 1e6, 2)} MB  out ${fmt(a.resultBytes / 1e6, 2)} MB  at ${fmt(a.firstStartMs / 1000, 2)}-${fmt(a.lastCloseMs / 1000, 2)} s${a.attempts > a.count ? `  retries ${a.attempts - a.count}` : ''}`);
      }
      if (last.summarizeSteps) {
        const fmtMs = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k} ${v} ms`).join(', ');
        console.log(`  summarize steps: ${fmtMs(last.summarizeSteps.ms)}; slowest site checks: ${fmtMs(last.summarizeSteps.slowestChecks)}`);
      }
      if (last.sql) {
        console.log('  SQL (wall ms, includes event-loop waits):');
        for (const q of last.sql.slice(0, 12)) console.log(`    ${q.label.padEnd(24)} ×${String(q.count).padStart(5)}  ${q.ms} ms`);
      }
      if (last.pgStatements) {
        console.log('  PostgreSQL statements (pg_stat_statements, server-side execution ms incl. lock waits, WAL MB):');
        for (const q of last.pgStatements) console.log(`    ${String(q.ms).padStart(6)} ms ×${String(q.calls).padStart(5)} ${String(q.rows).padStart(8)} rows ${String(q.walMb).padStart(5)} MB WAL  ${q.query}`);
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
      config: {
        pages, runs, variants, settings: settings.map(settingsLabel), fetchRetries, siteLatencyMs: latencyMs, preloadRuns: variants.includes('pipeline-loaded') ? preloadRuns : 0, preloadPages,
        profile, stack: external ? 'given' : 'own', postgresDurability: external ? 'as given' : 'fsync on, synchronous_commit on',
      },
      site: site0,
      goals: GOALS,
      plainPagesPerSec: plainPps === null ? null : Math.round(plainPps),
      checksPagesPerSec: checksPps === null ? null : Math.round(checksPps),
      preload,
      rows: ordered.map((row) => {
        const ps = pipelineStats(row);
        return {
          variant: row.variant,
          label: LABELS[row.variant],
          settings: row.settings ?? null,
          pages,
          seconds: row.median.seconds,
          pagesPerSec: Math.round(row.median.pagesPerSec),
          ratioVsPlain: round3(vsPlain(row)),
          ratioVsChecks: round3(vsChecks(row)),
          ratioVsChecksByRound: byRound(row)?.map((r) => Math.round(r * 1000) / 1000) ?? null,
          peakRssMb: row.median.peakRssMb,
          cpuSec: row.median.cpuSec,
          maxEventsPerRun: ps?.maxEventsPerRun ?? null,
          totalEvents: ps?.totalEvents ?? null,
          continuedAsNew: ps?.continuedAsNew ?? null,
          summarizeMs: ps?.summarizeMs ?? null,
          workflowMs: ps?.workflowMs ?? null,
          summarizeShare: ps ? Math.round(ps.summarizeShare * 1000) / 1000 : null,
          pageAudits: row.runs[row.runs.length - 1].rows ?? null,
          temporalStatus: row.runs[row.runs.length - 1].temporalStatus ?? null,
          database: row.runs[row.runs.length - 1].database ?? null,
          runs: row.runs,
        };
      }),
      goalResults,
      profiles,
      stackRssMb: { temporal: treeRssMb(temporal?.pid), postgres: treeRssMb(postgres ? postmasterPid(postgres.dataDir) : null) },
      totalSeconds: Math.round((Date.now() - t0) / 1000),
    };
    writeFileSync(resultsPath, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`\nwrote ${resultsPath.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, resultsPath) : resultsPath} (${out.totalSeconds} s in all)`);
  } finally {
    site?.child.stdin?.end();
    if (template && adminUrl) await dropDatabase(adminUrl, template).catch(() => {});
    await temporal?.stop().catch(() => {});
    await postgres?.dispose().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
