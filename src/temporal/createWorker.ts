// src/temporal: what any deployment needs to talk to Temporal: connections (connection.ts, connectionOptions.ts),
// this worker factory, the SDK runtime (runtime.ts), tracing, search attributes, the CLI worker's queue isolation.
// Builds the Sitesweep worker: activities from their dependencies, workflows from a prebuilt bundle when one is
// configured (production, tests) or from source (development: bundled once per source state, workflowBundle.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type ActivityExecuteInput, type ActivityInboundCallsInterceptor, type Next } from '@temporalio/worker';
import { alerts } from '../alerts/sentry';
import type { DataSource } from 'typeorm';
import { createActivities } from '../activities';
import { createAnalyzePool, type AnalyzePool } from '../activities/analyzePool';
import type { Config } from '../config';
import { Fetcher } from '../crawl/fetcher';
import { fetcherResources, Renderer } from '../crawl/render';
import { HostSlots } from '../crawl/hostSlots';
import { Politeness, PolitenessGate } from '../crawl/politeness';
import { PgHostSlotStore } from '../db/hostSlotStore';
import type { Logger } from '../logger';
import * as closedExecution from './closedExecution';
import { OTEL_WORKFLOW_INTERCEPTORS, tracedBundlePath, tracing } from './tracing';
import { cachedWorkflowBundle, type CachedWorkflowBundle } from './workflowBundle';

/** The workflows entry file: TypeScript source under tsx, compiled JavaScript under dist/. */
function workflowsEntry(): string {
  const ts = path.join(__dirname, '..', 'workflows', 'index.ts');
  return existsSync(ts) ? ts : path.join(__dirname, '..', 'workflows', 'index.js');
}

/** Without a prebuilt bundle (a source checkout): the one built for these sources, from the cache in SITESWEEP_HOME. */
function sourceWorkflowBundle(config: Config, traced: boolean): Promise<CachedWorkflowBundle> {
  const sourceRoot = path.join(__dirname, '..');
  return cachedWorkflowBundle({
    workflowsPath: workflowsEntry(),
    sourceRoot,
    lockfile: path.join(sourceRoot, '..', 'package-lock.json'),
    ...(traced ? { interceptorModules: [OTEL_WORKFLOW_INTERCEPTORS] } : {}),
  }, path.join(config.home, 'workflow-bundles'));
}

export interface WorkerParts {
  worker: Worker;
  fetcher: Fetcher;
  /** Close after the worker has stopped: gives this process's host slots back at once (else they expire). */
  politeness: Politeness;
  /** Threads that parse and check pages, and the browser pool that renders them; close after the worker has stopped. */
  analyzePool: AnalyzePool;
  /** Headless Chromium for render: "chromium" runs (closed by analyzePool.close()). */
  renderer: Renderer;
}

/** The per-host gate of a worker process, coordinated with every other worker through the database. */
export function createSharedPoliteness(db: DataSource, log: Logger): Politeness {
  let lastWarn = 0;
  const slots = new HostSlots(new PgHostSlotStore(db), {
    onError: (err, host) => {
      // A database outage delays requests (no slot, no request) but must not flood the log.
      if (Date.now() - lastWarn < 10_000) return;
      lastWarn = Date.now();
      log.warn({ host, err: String(err) }, 'host slot sync failed; requests to the host wait');
    },
  });
  return new Politeness(new PolitenessGate(undefined, slots), () => slots.close());
}

export async function createSitesweepWorker(opts: {
  connection: NativeConnection;
  config: Config;
  db: DataSource;
  log: Logger;
  taskQueue?: string;
  identity?: string;
}): Promise<WorkerParts> {
  const { config } = opts;
  const fetcher = new Fetcher({
    connectionsPerHost: config.crawl.connectionsPerHost,
    allowPrivateTargets: config.crawl.allowPrivateTargets,
    targetAllowlist: config.crawl.targetAllowlist,
    ...(config.crawl.breaker ? { breaker: config.crawl.breaker } : {}),
  });
  const politeness = createSharedPoliteness(opts.db, opts.log);
  // One browser pool per process, launched on the first render: closed with the analysis pool (every caller closes it).
  const renderer = new Renderer({
    ...config.render,
    policy: { allowPrivateTargets: config.crawl.allowPrivateTargets, allowlist: config.crawl.targetAllowlist },
    fetchResource: fetcherResources(fetcher, config.crawl),
  });
  const threads = createAnalyzePool(config.worker.analyzeThreads);
  const analyzePool: AnalyzePool = { analyze: threads.analyze, pending: threads.pending, close: async () => void (await Promise.all([threads.close(), renderer.close()])) };
  // The run closer asks Temporal how a run's execution closed, over the worker's own connection.
  const client = new Client({ connection: opts.connection, namespace: config.temporal.namespace });
  const executionClose = (workflowId: string, runId: string) => closedExecution.executionClose(client, workflowId, runId);
  const activities = createActivities({
    db: opts.db, fetcher, politeness, analyze: analyzePool.analyze, renderer, crawl: config.crawl, ai: config.ai, alerts: config.alerts, log: opts.log, executionClose,
  });
  const t = tracing(config.temporal.otlpEndpoint);
  // A bundle fixes its workflow interceptors at build time, so tracing loads the prebuilt bundle's traced twin (or
  // builds a traced one).
  const workflowBundle = config.worker.bundlePath
    ? { codePath: t ? tracedBundlePath(config.worker.bundlePath) : config.worker.bundlePath }
    : await sourceWorkflowBundle(config, t !== null);
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: config.temporal.namespace,
    taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
    ...(opts.identity ? { identity: opts.identity } : {}),
    activities,
    workflowBundle,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    shutdownGraceTime: config.worker.shutdownGraceMs,
    // A workflow task on a dead worker's sticky queue moves to the shared queue after this (SDK default 10 s), so a
    // killed worker's runs are picked up by the others quickly; a live worker answers far sooner than this.
    stickyQueueScheduleToStartTimeout: config.worker.stickyScheduleToStartMs,
    // A cancelled run's crawl steps learn of it from a heartbeat's answer; the SDK sends an activity's heartbeats at
    // most every 80% of its heartbeat timeout (24 s at the default 30 s), so they went on fetching the site and writing
    // pages for up to that long, and a stopping worker waited its whole grace time for them (Ctrl-C of `sitesweep
    // audit`: "cancelled" after 0.6 s, the command's exit 10 s later). Every 2 s: ~3 heartbeat calls a second for 6 lanes.
    maxHeartbeatThrottleInterval: '2 seconds',
    // Activity errors to Sentry (when SENTRY_DSN is set): once per activity, on its first failed attempt, so a database
    // outage retried for minutes is one alert per activity rather than one per retry.
    interceptors: {
      activity: [
        (ctx) => ({ inbound: new AlertingActivityInbound(ctx) }),
        ...(t ? [(ctx: Context) => t.activityInterceptors(ctx)] : []),
      ],
    },
    // Workflow spans are made inside the sandbox and leave it through this sink.
    ...(t ? { sinks: { exporter: t.workflowSinks() } } : {}),
  });
  return { worker, fetcher, politeness, analyzePool, renderer };
}

export interface RunningSitesweepWorker {
  /** Settles once the worker has stopped and released what it holds; rejects with the worker's fatal error. */
  done: Promise<void>;
  /** Asks the worker to stop (in-flight activities drain), then waits for `done`; never rejects. */
  stop(): Promise<void>;
}

/**
 * Runs a worker until it stops (stop(), or SIGINT/SIGTERM, which the SDK handles), then releases its host slots, its
 * analysis threads and its HTTP pool, in that order. The one worker lifecycle of the worker process, the CLI, the
 * test helpers, the history recorder and the benchmark. The connection and the database stay the caller's.
 */
export function runSitesweepWorker(parts: WorkerParts, log?: Logger): RunningSitesweepWorker {
  const { worker, fetcher, politeness, analyzePool } = parts;
  const done = (async () => {
    try {
      await worker.run();
    } finally {
      // Hand this worker's host slots to the other workers now rather than when their leases expire.
      await politeness.close().catch((err: unknown) => log?.warn({ err: String(err) }, 'could not release host slots'));
      await analyzePool.close().catch(() => {});
      await fetcher.close();
    }
  })();
  return {
    done,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => {});
    },
  };
}

const EVENT_ACTIVITIES = new Set(['deliverEvent', 'reportFailureEvent']);

class AlertingActivityInbound implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      const info = this.ctx.info;
      // Event delivery is excluded: a webhook receiver that is down is its owner's concern, retried for a day, not a crash.
      if (info.attempt === 1 && !(err instanceof CancelledFailure) && alerts().enabled && !EVENT_ACTIVITIES.has(info.activityType)) {
        // Ids only: activity arguments may carry run options (sealed credentials, headers).
        alerts().error(err, { activityType: info.activityType, workflowId: info.workflowExecution?.workflowId ?? null, workflowType: info.workflowType, attempt: info.attempt }, { component: 'worker' });
      }
      throw err;
    }
  }
}
