// `npx tsx bench/workers.ts`: pages/s of one site audit with 1, 2 and 3 worker OS processes on one task queue.
//
// Brings up the real stack (Temporal dev server, PostgreSQL, a prebuilt workflow bundle), serves the generated bench
// site (bench/fixtureSite.ts, no crawl delay) from its own process, and for each worker count starts that many worker
// processes (test/helpers/workerProcess.ts, the same createSitesweepWorker as `npm run worker`), runs one
// siteAuditWorkflow of the whole site on a fresh database and prints pages/s. All workers share the host's
// perHostConcurrency through the host_slots leases (src/crawl/hostSlots.ts).
//
// Env: BENCH_PAGES (default 1000), BENCH_WORKERS (default "1,2,3"), BENCH_SETTINGS "<auditBatchSize>x<parallelBatches>x
// <perHostConcurrency>" (default 100x6x16: the run defaults, 16 connections), BENCH_SITE_LATENCY_MS (default 0: every
// answer of the site that late, as a remote host's round trip; the run is then bound by its connections to the host,
// not by CPU). Each row also gives the most requests the site answered at once, which must stay within
// perHostConcurrency whatever the number of workers (the bench fails otherwise), how many it answered on average over
// the run, and how busy the machine's cores were. Not a test: the numbers depend on the
// machine (2 shared cores here).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { openDatabase } from '../src/db/dataSource';
import { createLogger } from '../src/logger';
import { createDatabase, dropDatabase, findOrBuildTemporalCli, startLocalPostgres, startTemporalDevServer } from '../src/stack';
import { siteAuditWorkflowId, type SiteAuditInput, type SiteAuditResult } from '../src/workflows/contracts';
import { buildWorkflowBundle } from '../scripts/build-workflow-bundle';
import { spawnWorkerProcess } from '../test/helpers/workerProcess';
import { siteProfile } from './fixtureSite';
import { machineTicks } from './procStats';
import { resetSite, siteLatencyFromEnv, siteStats, startSiteProcess } from './siteProcess';

async function main(): Promise<void> {
  const pages = Number(process.env.BENCH_PAGES ?? 1000);
  const profile = siteProfile(pages);
  const counts = (process.env.BENCH_WORKERS ?? '1,2,3').split(',').map(Number);
  const [auditBatchSize, parallelBatches, perHostConcurrency] = (process.env.BENCH_SETTINGS ?? '100x6x16').split('x').map(Number);
  const latencyMs = siteLatencyFromEnv();
  const log = createLogger('warn', 'bench-workers');
  const work = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-bench-workers-'));
  const site = await startSiteProcess(pages, 0, latencyMs);
  const { origin } = site;
  const cli = await findOrBuildTemporalCli({ log });
  const [bundle, temporal, pg] = await Promise.all([
    buildWorkflowBundle(path.join(work, 'workflow-bundle.js')),
    startTemporalDevServer({ log, ui: false, ...(cli ? { executable: cli } : {}) }),
    startLocalPostgres({ relaxedDurability: false, log }),
  ]);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const rows: Array<{ workers: number; pages: number; seconds: number; pagesPerSec: number; requests: number; maxInFlight: number; avgInFlight: number; coresBusy: number | null }> = [];
  try {
    for (const n of counts) {
      const dbName = `bench_workers_${n}_${Date.now()}`;
      const url = await createDatabase(pg.adminUrl, dbName);
      await (await openDatabase({ url, migrate: true, poolSize: 2 })).destroy();
      const taskQueue = `bench-workers-${n}-${Date.now()}`;
      const env = {
        DATABASE_URL: url,
        DATABASE_POOL_SIZE: '6',
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        WORKFLOW_BUNDLE_PATH: bundle,
        ALLOW_PRIVATE_TARGETS: 'true',
        WORKER_CONNECTIONS_PER_HOST: String(perHostConcurrency),
        LOG_LEVEL: 'warn',
      };
      const workers = await Promise.all(Array.from({ length: n }, (_, i) => spawnWorkerProcess(env, `bench-w${i + 1}-of-${n}`)));
      try {
        const runKey = `bench-${n}-${Date.now()}`;
        const input: SiteAuditInput = {
          siteUrl: `${origin}/`, runKey, maxPages: pages, respectRobots: true, useSitemaps: true,
          auditBatchSize, parallelBatches, perHostConcurrency,
        };
        await resetSite(origin);
        const ticks0 = machineTicks();
        const t0 = performance.now();
        const handle = await client.workflow.start('siteAuditWorkflow', { workflowId: siteAuditWorkflowId(new URL(origin).host, runKey), taskQueue, args: [input] });
        const result = (await handle.result()) as SiteAuditResult;
        const seconds = (performance.now() - t0) / 1000;
        const ticks1 = machineTicks();
        // The site's 500 pages end as failures; every other URL is an audited page.
        if (result.pagesAudited !== pages - profile.failing || result.pagesFailed !== profile.failing) {
          throw new Error(`${n} workers: audited ${result.pagesAudited}, failed ${result.pagesFailed}; the site has ${pages - profile.failing} and ${profile.failing}`);
        }
        const served = await siteStats(origin);
        const row = {
          workers: n, pages, seconds: Math.round(seconds * 100) / 100, pagesPerSec: Math.round(pages / seconds),
          requests: served.requests, maxInFlight: served.maxInFlight, avgInFlight: Math.round((served.requestSeconds / seconds) * 10) / 10,
          coresBusy: ticks0 && ticks1 ? Math.round(((ticks1.busy - ticks0.busy) / (ticks1.total - ticks0.total)) * 100) / 100 : null,
        };
        rows.push(row);
        console.log(JSON.stringify(row));
        if (served.maxInFlight > perHostConcurrency) {
          throw new Error(`${n} workers: the site answered ${served.maxInFlight} requests at once; perHostConcurrency is ${perHostConcurrency}`);
        }
      } finally {
        await Promise.all(workers.map((w) => w.stop(10_000)));
        await dropDatabase(pg.adminUrl, dbName).catch(() => {});
      }
    }
    console.log(
      `\n| worker processes | pages | seconds | pages/s | requests | most at once | on average | cores busy |\n|---|---|---|---|---|---|---|---|\n` +
        rows.map((r) => `| ${r.workers} | ${r.pages} | ${r.seconds} | ${r.pagesPerSec} | ${r.requests} | ${r.maxInFlight} | ${r.avgInFlight} | ${r.coresBusy === null ? '–' : `${Math.round(r.coresBusy * 100)}%`} |`).join('\n'),
    );
    console.log(`settings: auditBatchSize ${auditBatchSize}, parallelBatches ${parallelBatches}, perHostConcurrency ${perHostConcurrency}, site latency ${latencyMs} ms`);
  } finally {
    await connection.close().catch(() => {});
    await temporal.stop().catch(() => {});
    await pg.dispose().catch(() => {});
    site.child.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
