// Records the workflow histories that test/replay/replay.test.ts replays (see docs/REPLAY.md).
//
//   npx tsx scripts/record-histories.ts            # re-record every history into test/replay/histories/
//   npx tsx scripts/record-histories.ts completed  # only some of them (names below)
//
// Brings up its own stack, like the test harness: a fresh workflow bundle from src/, a PostgreSQL (embedded), two
// Temporal dev servers (one with `limit.historyCount.suggestContinueAsNew` lowered so a small run continues-as-new),
// the fixture sites from test/fixtures, and an in-process worker per server. Then it runs each scenario and writes
// its history as JSON (the same format as `temporal workflow show -o json`), one file per execution.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { loadConfig, type Config } from '../src/config';
import { openDatabase } from '../src/db/dataSource';
import * as runStatus from '../src/db/runStatusStore';
import { createLogger } from '../src/logger';
import { findOrBuildTemporalCli, startLocalPostgres, startTemporalDevServer, type TemporalDevServer } from '../src/stack';
import { createSitesweepWorker, runSitesweepWorker } from '../src/temporal/createWorker';
import { aiJobWorkflowId, type AiJobInput, type AiJobResult } from '../src/workflows/aiContracts';
import { DEFAULT_POLICIES, progressQuery, resolveOptions, type SiteAuditInput, type SiteAuditResult } from '../src/workflows/contracts';
import { startFakeAnthropic } from '../test/fixtures/fakeProviders';
import { startFixtureSite } from '../test/fixtures/site';
import { startSlowSite } from '../test/fixtures/slowSite';
import { historyToJson } from '../test/replay/historyJson';
import { buildWorkflowBundle } from './build-workflow-bundle';

export const HISTORIES_DIR = path.join(__dirname, '..', 'test', 'replay', 'histories');
const SCENARIOS = ['completed', 'continued-as-new', 'cancelled', 'cancelled-before-init', 'ai-recommendations'] as const;
type Scenario = (typeof SCENARIOS)[number];

const log = createLogger(process.env.LOG_LEVEL ?? 'info', 'record-histories');

interface Env {
  config: Config;
  client: Client;
  stop(): Promise<void>;
}

/** A worker (from the fresh bundle) and a client on one dev server. */
async function workerOn(server: TemporalDevServer, db: DataSource, bundlePath: string, taskQueue: string, extraEnv: Record<string, string> = {}): Promise<Env> {
  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    ALLOW_PRIVATE_TARGETS: 'true', // the fixture sites listen on 127.0.0.1
    LOG_LEVEL: 'warn',
    ...extraEnv,
  });
  const connection = await NativeConnection.connect({ address: server.address });
  const running = runSitesweepWorker(await createSitesweepWorker({ connection, config, db, log: createLogger('warn', 'record-worker') }));
  const clientConnection = await Connection.connect({ address: server.address });
  const client = new Client({ connection: clientConnection });
  return {
    config,
    client,
    async stop() {
      await running.stop();
      await connection.close();
      await clientConnection.close();
    },
  };
}

function inputFor(siteUrl: string, runKey: string, extra: Partial<SiteAuditInput> = {}): SiteAuditInput {
  return {
    ...resolveOptions({ siteUrl }),
    siteUrl,
    runKey,
    auditBatchSize: 3,
    parallelBatches: 2,
    requestTimeoutMs: 800,
    fetchRetries: 0,
    policies: { ...DEFAULT_POLICIES, auditHeartbeatTimeoutMs: 5_000, auditRetryInitialMs: 200, persistRetryMaxMs: 2_000 },
    ...extra,
  };
}

async function save(name: string, handle: WorkflowHandle): Promise<void> {
  const history = await handle.fetchHistory();
  const file = path.join(HISTORIES_DIR, `${name}.json`);
  // Pretty-printed so that a re-recording shows up as a readable diff. The workflow id goes with it: a replay must use
  // the recorded one, since ids derived from it (the run closer's child id) are in the history.
  writeFileSync(file, `${JSON.stringify({ workflowId: handle.workflowId, ...(historyToJson(history) as object) }, null, 2)}\n`);
  log.info({ file, events: history.events?.length ?? 0 }, 'history recorded');
}

/** Waits for a cancelled run's end; throws unless it ended cancelled. */
async function endsCancelled(handle: WorkflowHandle): Promise<void> {
  try {
    await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure) return;
    throw err;
  }
  throw new Error(`${handle.workflowId} completed instead of ending cancelled`);
}

async function main() {
  const wanted = (process.argv.slice(2).length ? process.argv.slice(2) : SCENARIOS) as Scenario[];
  for (const w of wanted) if (!SCENARIOS.includes(w)) throw new Error(`unknown scenario ${w}; one of ${SCENARIOS.join(', ')}`);
  mkdirSync(HISTORIES_DIR, { recursive: true });
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-record-'));
  const cleanups: Array<() => Promise<unknown>> = [async () => rmSync(tmp, { recursive: true, force: true })];
  try {
    const executable = (await findOrBuildTemporalCli({ log })) ?? undefined;
    const [bundlePath, pg, plain, lowered, site, slow, anthropic] = await Promise.all([
      buildWorkflowBundle(path.join(tmp, 'workflow-bundle.js')),
      startLocalPostgres({ relaxedDurability: true, log }),
      startTemporalDevServer({ executable, log }),
      startTemporalDevServer({ executable, log, dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } }),
      startFixtureSite({ slowMs: 50, hangMs: 2_000 }),
      startSlowSite({ pages: 29, delayMs: 300 }),
      startFakeAnthropic(),
    ]);
    cleanups.push(() => pg.dispose(), () => plain.stop(), () => lowered.stop(), () => site.close(), () => slow.close(), () => anthropic.close());
    const db = await openDatabase({ url: pg.url, migrate: true, poolSize: 5 });
    cleanups.push(() => db.destroy());
    // The AI scenario's provider is the local fake Anthropic batch API (the key is the fake's, never a real one).
    const onPlain = await workerOn(plain, db, bundlePath, 'record-plain', { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: anthropic.url });
    cleanups.push(() => onPlain.stop());
    const onLowered = await workerOn(lowered, db, bundlePath, 'record-lowered');
    cleanups.push(() => onLowered.stop());
    const stamp = Date.now().toString(36);

    if (wanted.includes('completed')) {
      // (a) A whole run of the fixture site (failures, redirects, robots, sitemap) that never continued-as-new.
      const workflowId = `site-audit:replay:completed-${stamp}`;
      const handle = await onPlain.client.workflow.start('siteAuditWorkflow', {
        workflowId, taskQueue: onPlain.config.temporal.taskQueue, args: [inputFor(site.origin, `completed-${stamp}`)],
      });
      await handle.result();
      await save('completed', handle);
    }

    if (wanted.includes('continued-as-new')) {
      // (b) The same site on the server that suggests continue-as-new at 40 events: the first run (it ends in
      // ContinuedAsNew) and the last one (it starts from the carried state and completes).
      const workflowId = `site-audit:replay:can-${stamp}`;
      const first = await onLowered.client.workflow.start('siteAuditWorkflow', {
        workflowId, taskQueue: onLowered.config.temporal.taskQueue, args: [inputFor(site.origin, `can-${stamp}`)],
      });
      await onLowered.client.workflow.getHandle(workflowId).result(); // follows the chain to the end
      const runs: string[] = [];
      for await (const e of onLowered.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(e.runId);
      if (runs.length < 2) throw new Error(`expected the run to continue-as-new, got ${runs.length} run(s)`);
      await save('continued-as-new-first', onLowered.client.workflow.getHandle(workflowId, first.firstExecutionRunId));
      const last = onLowered.client.workflow.getHandle(workflowId);
      await save('continued-as-new-last', onLowered.client.workflow.getHandle(workflowId, (await last.describe()).runId));
    }

    if (wanted.includes('cancelled')) {
      // (c) A run cancelled (Temporal cancel) while its lanes are auditing the slow site.
      const workflowId = `site-audit:replay:cancelled-${stamp}`;
      const handle = await onPlain.client.workflow.start('siteAuditWorkflow', {
        workflowId, taskQueue: onPlain.config.temporal.taskQueue, args: [inputFor(slow.origin, `cancelled-${stamp}`, { perHostConcurrency: 1 })],
      });
      const deadline = Date.now() + 60_000;
      for (;;) {
        const p = await handle.query(progressQuery).catch(() => null);
        if (p && p.persisted >= 3) break;
        if (Date.now() > deadline) throw new Error('the run to cancel never got going');
        await new Promise((r) => setTimeout(r, 100));
      }
      await handle.cancel();
      await endsCancelled(handle);
      await save('cancelled', handle);
    }

    if (wanted.includes('cancelled-before-init')) {
      // (d) A run cancelled before initRun took its row over: the API's queued row exists, the workflow is cancelled
      // before any worker polls its queue, and its first workflow task ends it (patch run-early-end-closer).
      const workflowId = `site-audit:replay:cancelled-before-init-${stamp}`;
      const taskQueue = 'record-early';
      await runStatus.insertQueued(db, { workflowId, runKey: workflowId, siteUrl: site.origin, siteHost: new URL(site.origin).host, options: {} });
      const handle = await onPlain.client.workflow.start('siteAuditWorkflow', { workflowId, taskQueue, args: [inputFor(site.origin, workflowId)] });
      await handle.cancel();
      const early = await workerOn(plain, db, bundlePath, taskQueue);
      cleanups.push(() => early.stop());
      await endsCancelled(handle);
      await save('cancelled-before-init', handle);
    }

    if (wanted.includes('ai-recommendations')) {
      // (e) AI recommendations for a finished run of the fixture site: submitted, polled while in progress (durable
      // timers), results of every kind saved.
      const audit = await onPlain.client.workflow.execute('siteAuditWorkflow', {
        workflowId: `site-audit:replay:ai-${stamp}`, taskQueue: onPlain.config.temporal.taskQueue, args: [inputFor(site.origin, `ai-${stamp}`)],
      }) as SiteAuditResult;
      anthropic.controls.pollsBeforeEnd = 2;
      anthropic.controls.outcome = (_id, i) => (['succeeded', 'errored', 'succeeded', 'expired', 'invalid'] as const)[i % 5];
      const jobId = `replay-${stamp}`;
      const input: AiJobInput = { jobId, runId: audit.runId, model: 'claude-haiku-4-5', maxPages: 6, pollIntervalMs: 200, pollMaxIntervalMs: 400, pollMaxMs: 60_000 };
      const handle = await onPlain.client.workflow.start('aiRecommendationsWorkflow', { workflowId: aiJobWorkflowId(jobId), taskQueue: onPlain.config.temporal.taskQueue, args: [input] });
      const r = await handle.result() as AiJobResult;
      if (r.status !== 'completed') throw new Error(`the AI job ended ${r.status}: ${r.error}`);
      await save('ai-recommendations-completed', handle);
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log.warn({ err: String(err) }, 'cleanup failed'));
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
