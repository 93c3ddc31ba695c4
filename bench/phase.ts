// One measurement, in its own process (so peak RSS and CPU belong to it alone). bench/run.ts spawns it with
// BENCH_PHASE = JSON of PhaseInput and reads one `BENCH_RESULT <json>` line from stdout.
//
// The pipeline is started the way a user starts it: this process runs the API and a worker (as `npm run api` and
// `npm run worker` would, on one task queue), the run is requested with `POST /api/runs`, and the measurement ends
// when Temporal reports the workflow chain Completed. Peak RSS is this process's: the worker's plus an idle API.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createApp } from '../src/api/app';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/dataSource';
import type { DataSource } from 'typeorm';
import { createLogger } from '../src/logger';
import { createSitesweepWorker, runSitesweepWorker } from '../src/temporal/createWorker';
import type { SiteAuditResult } from '../src/workflows/contracts';
import { runBaseline, type BaselineMode } from './baseline';
import { profileMainThread, type ProfileSummary } from './cpuProfile';
import { instrumentSql, simulateAdvisoryRunLock, type SqlTiming } from './dbTiming';
import { firstExecutionRunId, historyStats, type HistoryStats } from './history';
import { threadCpuSeconds, threadSplit, treeCpuSeconds, type ThreadSplit } from './procStats';

export interface PipelineSettings {
  auditBatchSize: number;
  parallelBatches: number;
  perHostConcurrency: number;
  persistBatchSize: number;
  /** WORKER_CONNECTIONS_PER_HOST (the Fetcher's undici pool per origin). */
  connectionsPerHost: number;
  /** Bench-only simulations of proposed src changes: 'hb-throttle', 'advisory-lock' (see bench/README.md). */
  experiments: string[];
}

export type PhaseInput =
  | { kind: 'baseline'; mode: BaselineMode; origin: string; pages: number; fetchRetries: number }
  | {
      kind: 'pipeline';
      origin: string;
      pages: number;
      fetchRetries: number;
      settings: PipelineSettings;
      temporalAddress: string;
      databaseUrl: string;
      bundlePath: string;
      pids: { temporal: number | null; postgres: number | null; site: number | null };
      /** CPU profile of the worker's main thread during the run, and SQL timings (slower). */
      profile: boolean;
    };

/** What page_audits holds for the run: every URL exactly once. */
export interface RowCounts {
  total: number;
  distinctUrlHashes: number;
  distinctUrls: number;
  ok: number;
  failed: number;
}

export interface PhaseResult {
  variant: string;
  pages: number;
  failed: number;
  /** Baselines: 4xx answers and redirects among `pages`. */
  clientErrors?: number;
  redirected?: number;
  ms: number;
  peakRssMb: number;
  /** This process's CPU seconds (user + system) during the timed part. */
  cpuSec: number;
  /** Share of the timed part the event loop was busy (1 = the JS thread was the bottleneck). */
  eventLoopUtilization: number;
  serverCpuSec?: { temporal: number; postgres: number; site: number };
  parseMs?: number;
  history?: HistoryStats;
  sql?: SqlTiming[];
  /** BENCH_PROFILE=1, own stack: the database's top statements by server-side time (filled in by run.ts). */
  pgStatements?: Array<{ calls: number; ms: number; rows: number; walMb: number; query: string }>;
  profile?: ProfileSummary;
  workflowId?: string;
  runId?: string;
  rows?: RowCounts;
  /** Temporal's status of the chain's last execution once the result arrived (COMPLETED expected). */
  temporalStatus?: string;
  /**
   * The run's row once it says how the run ended (completed expected), and how long after Temporal's close it said so:
   * never before it (issue 9), written by the run's closer.
   */
  database?: { status: string; completedAfterCloseMs: number };
  /** The summarize activity's own step timings (its 'run summarized' log line): where its share of the run goes. */
  summarizeSteps?: { ms: Record<string, number>; slowestChecks: Record<string, number> };
  /** Mean of 10 ms samples: requests in flight to the site and waiting for a slot, pages in analysis. */
  pageWaits?: { requestsInFlight: number; allSlotsBusyShare: number; waitingForSlot: number; inAnalysis: number };
  /** This process's CPU seconds by thread (Linux): main, the runtime's GC/compiler helpers, threads started during the run. */
  threads?: ThreadSplit;
}

/** The run's row once it is no longer open (its closer writes completed just after the close), and when it changed. */
async function rowAfterClose(db: DataSource, runId: string, closeTime: Date | undefined): Promise<PhaseResult['database']> {
  for (const deadline = Date.now() + 30_000; ;) {
    const [row] = await db.query(`SELECT status, updated_at FROM audit_runs WHERE id = $1`, [runId]);
    if (row && !['queued', 'running'].includes(row.status)) {
      return { status: row.status, completedAfterCloseMs: closeTime ? new Date(row.updated_at).getTime() - closeTime.getTime() : NaN };
    }
    if (Date.now() > deadline) return { status: row?.status ?? 'missing', completedAfterCloseMs: NaN };
    await new Promise((r) => setTimeout(r, 20));
  }
}

function emit(r: PhaseResult): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(r)}\n`);
}

/** The threads node itself started (V8's platform workers), before this module made any. */
const RUNTIME_TIDS: ReadonlySet<number> = new Set(threadCpuSeconds().keys());

const cpuSec = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function baseline(input: Extract<PhaseInput, { kind: 'baseline' }>): Promise<PhaseResult> {
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpuSeconds();
  const r = await runBaseline({ origin: input.origin, maxPages: input.pages, mode: input.mode, fetchRetries: input.fetchRetries });
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  return {
    variant: input.mode,
    pages: r.pages,
    failed: r.failed,
    clientErrors: r.clientErrors,
    redirected: r.redirected,
    ms: Math.round(r.ms),
    peakRssMb: peakRssMb(),
    cpuSec: cpuSec(cpu),
    eventLoopUtilization: Math.round(elu.utilization * 100) / 100,
    parseMs: Math.round(r.parseMs),
    threads: threadSplit(threads0, threadCpuSeconds(), RUNTIME_TIDS),
  };
}

async function pipeline(input: Extract<PhaseInput, { kind: 'pipeline' }>): Promise<PhaseResult> {
  const s = input.settings;
  if (s.experiments.includes('advisory-lock')) simulateAdvisoryRunLock();
  const sql = input.profile ? instrumentSql() : null;
  // Activity retries are counted from the history instead of logged one by one.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: input.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-${randomBytes(4).toString('hex')}`,
    DATABASE_URL: input.databaseUrl,
    ALLOW_PRIVATE_TARGETS: 'true',
    WORKFLOW_BUNDLE_PATH: input.bundlePath,
    WORKER_CONNECTIONS_PER_HOST: String(s.connectionsPerHost),
    LOG_LEVEL: 'warn',
  });
  // Warnings go to stderr as usual; summarize's step timings (an info line) are kept for the report.
  let summarizeSteps: PhaseResult['summarizeSteps'];
  const log = pino({ name: 'bench-worker', level: 'info' }, {
    write(line: string) {
      const o = JSON.parse(line) as { level: number; msg: string; ms?: Record<string, number>; slowestChecks?: Record<string, number> };
      if (o.msg === 'run summarized') summarizeSteps = { ms: o.ms ?? {}, slowestChecks: o.slowestChecks ?? {} };
      else if (o.level >= 40) process.stderr.write(line);
    },
  });
  const db = await openDatabase({ url: input.databaseUrl, poolSize: config.databasePoolSize });
  const nativeConnection = await NativeConnection.connect({ address: input.temporalAddress });
  const parts = await createSitesweepWorker({ connection: nativeConnection, config, db, log });
  if (s.experiments.includes('hb-throttle')) throttleHeartbeats(parts.worker, 1_000);
  const running = runSitesweepWorker(parts);
  // A whole execution's history can exceed gRPC's default 4 MB message cap (records travel through it).
  const connection = await Connection.connect({ address: input.temporalAddress, channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const app = createApp({ db, client, config, log: createLogger('warn', 'bench-api') });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    // What a user sends; maxDepth is raised only so that coverage never depends on discovery order.
    const body = {
      url: `${input.origin}/`,
      options: {
        maxPages: input.pages,
        maxDepth: 100,
        respectRobots: true,
        useSitemaps: true,
        auditBatchSize: s.auditBatchSize,
        parallelBatches: s.parallelBatches,
        perHostConcurrency: s.perHostConcurrency,
        persistBatchSize: s.persistBatchSize,
        fetchRetries: input.fetchRetries,
      },
    };
    const servers0 = { temporal: treeCpuSeconds(input.pids.temporal), postgres: treeCpuSeconds(input.pids.postgres), site: treeCpuSeconds(input.pids.site) };
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const threads0 = threadCpuSeconds();
    const t0 = performance.now();
    // Where the memory is (main-thread V8 heap vs the rest: analysis threads' heaps, Temporal core, malloc), sampled.
    const memPeak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
    const memTimer = setInterval(() => {
      const m = process.memoryUsage();
      for (const k of Object.keys(memPeak) as Array<keyof typeof memPeak>) memPeak[k] = Math.max(memPeak[k], Math.round(m[k] / 2 ** 20));
    }, 1000);
    memTimer.unref();
    // Where pages wait: requests in flight to the site (the politeness gate), requests waiting for a slot, pages in
    // analysis (queued in or running on the analysis threads); sampled every 10 ms while the run lasts.
    const siteHost = new URL(input.origin).host;
    const waits = { samples: 0, active: 0, full: 0, gateQueued: 0, analyzing: 0 };
    const waitTimer = setInterval(() => {
      const g = parts.politeness.gate.stats(siteHost);
      waits.samples++;
      waits.active += g.active;
      waits.gateQueued += g.queued;
      if (g.active >= s.perHostConcurrency) waits.full++;
      waits.analyzing += parts.analyzePool.pending();
    }, 10);
    waitTimer.unref();
    const run = async () => {
      const res = await fetch(`${apiUrl}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const started = (await res.json()) as { runId: string; workflowId: string; created: boolean };
      if (res.status !== 202 || !started.created) throw new Error(`POST /api/runs answered ${res.status}: ${JSON.stringify(started)}`);
      // result() follows the continue-as-new chain to its last execution.
      const handle = client.workflow.getHandle(started.workflowId);
      return { started, handle, result: (await handle.result()) as SiteAuditResult };
    };
    let profile: ProfileSummary | undefined;
    let started, handle, result;
    if (input.profile) {
      const p = await profileMainThread(run);
      ({ started, handle, result } = p.value);
      profile = p.profile;
    } else {
      ({ started, handle, result } = await run());
    }
    const ms = performance.now() - t0;
    // Peak RSS of the run itself: the history fetched below (tens of MB of payloads) is the bench's, not the worker's.
    const runPeakRssMb = peakRssMb();
    clearInterval(memTimer);
    clearInterval(waitTimer);
    process.stderr.write(`  memory peaks (MB, sampled each second): ${JSON.stringify(memPeak)}\n`);
    const per = (x: number) => Math.round((x / Math.max(1, waits.samples)) * 10) / 10;
    const pageWaits = { requestsInFlight: per(waits.active), allSlotsBusyShare: Math.round((100 * waits.full) / Math.max(1, waits.samples)) / 100, waitingForSlot: per(waits.gateQueued), inAnalysis: per(waits.analyzing) };
    process.stderr.write(`  where pages wait (mean of ${waits.samples} samples): requests in flight ${pageWaits.requestsInFlight} of ${s.perHostConcurrency} (all busy ${Math.round(pageWaits.allSlotsBusyShare * 100)}% of the time), waiting for a slot ${pageWaits.waitingForSlot}, in analysis ${pageWaits.inAnalysis}\n`);
    const cpu = process.cpuUsage(cpu0);
    const threads = threadSplit(threads0, threadCpuSeconds(), RUNTIME_TIDS);
    const elu = performance.eventLoopUtilization(elu0);
    const serverCpuSec = {
      temporal: Math.round((treeCpuSeconds(input.pids.temporal) - servers0.temporal) * 100) / 100,
      postgres: Math.round((treeCpuSeconds(input.pids.postgres) - servers0.postgres) * 100) / 100,
      site: Math.round((treeCpuSeconds(input.pids.site) - servers0.site) * 100) / 100,
    };
    const described = await handle.describe();
    const temporalStatus = described.status.name;
    const database = await rowAfterClose(db, started.runId, described.closeTime);
    // What the database holds, not only what the workflow says: every URL once, none lost, none twice.
    const [rows] = await db.query(
      `SELECT count(*)::int AS total, count(DISTINCT url_hash)::int AS "distinctUrlHashes", count(DISTINCT url)::int AS "distinctUrls",
              count(*) FILTER (WHERE status = 'ok')::int AS ok, count(*) FILTER (WHERE status <> 'ok')::int AS failed
         FROM page_audits WHERE run_id = $1`,
      [started.runId],
    );
    if (rows.ok !== result.pagesAudited) throw new Error(`page_audits has ${rows.ok} ok rows, the summary says ${result.pagesAudited}`);
    const history = await historyStats(client, started.workflowId, await firstExecutionRunId(client, started.workflowId));
    return {
      variant: 'pipeline',
      pages: result.pagesAudited + result.pagesFailed,
      failed: result.pagesFailed,
      ms: Math.round(ms),
      peakRssMb: runPeakRssMb,
      cpuSec: cpuSec(cpu),
      eventLoopUtilization: Math.round(elu.utilization * 100) / 100,
      serverCpuSec,
      history,
      ...(sql ? { sql: sql.report() } : {}),
      ...(profile ? { profile } : {}),
      workflowId: started.workflowId,
      runId: started.runId,
      rows: rows as RowCounts,
      temporalStatus,
      database,
      pageWaits,
      threads,
      ...(summarizeSteps ? { summarizeSteps } : {}),
    };
  } finally {
    await new Promise((r) => server.close(r));
    await running.stop();
    await nativeConnection.close();
    await connection.close();
    await db.destroy();
  }
}

/**
 * EXPERIMENT (BENCH_EXPERIMENTS=hb-throttle), simulating a proposed change to src/activities/audit.ts: forward an
 * activity's heartbeat to the SDK at most once per `ms` (the SDK JSON-encodes every heartbeat's details before core
 * throttles them, and auditBatch's details are all records so far: O(batch²) encoding per batch). Completion and
 * flush messages pass untouched; a dropped heartbeat only makes the resume checkpoint up to `ms` older.
 */
function throttleHeartbeats(worker: unknown, ms: number): void {
  const subject = (worker as { activityHeartbeatSubject?: { next: (m: any) => void } }).activityHeartbeatSubject;
  if (!subject) throw new Error('hb-throttle: this SDK version has no activityHeartbeatSubject');
  const next = subject.next.bind(subject);
  const last = new Map<string, number>();
  subject.next = (m: any) => {
    if (m?.type === 'heartbeat' && typeof m.base64TaskToken === 'string') {
      const now = performance.now();
      const prev = last.get(m.base64TaskToken);
      if (prev !== undefined && now - prev < ms) return;
      last.set(m.base64TaskToken, now);
    }
    next(m);
  };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.BENCH_PHASE ?? 'null') as PhaseInput | null;
  if (!input) throw new Error('BENCH_PHASE is not set: run bench/run.ts');
  emit(input.kind === 'baseline' ? await baseline(input) : await pipeline(input));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
