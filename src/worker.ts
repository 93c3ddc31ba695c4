// Worker process: connect, register, run; drains in-flight activities on SIGTERM/SIGINT (Worker handles the signals).
import os from 'node:os';
import { alerts, initAlerts } from './alerts/sentry';
import { loadConfig } from './config';
import { openDatabase } from './db/dataSource';
import { createLogger } from './logger';
import { startMetricsServer } from './metrics';
import { ensureSearchAttributes } from './temporal/searchAttributes';
import { connectWorker } from './temporal/connection';
import { createSitesweepWorker, runSitesweepWorker } from './temporal/createWorker';
import { shutdownTracing } from './temporal/tracing';
import { installSdkRuntime } from './temporal/runtime';
import { needsWorkerMemorySettings } from './workerMemory';
import { StartupError, startupFailureText, startupStep } from './startup';

// Started again by `sitesweep worker` with the memory settings (src/workerMemory.ts): that parent passes SIGINT/SIGTERM
// on, and a terminal's Ctrl-C or a service manager signals this process directly too. The SDK drains on the first and
// then stops listening, so a second copy would end the process mid-drain: listening here keeps it from doing so.
if (!needsWorkerMemorySettings()) for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});

async function run() {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'worker');
  initAlerts(config, log, 'worker');
  const databaseUrl = config.databaseUrl;
  if (!databaseUrl) throw new StartupError('DATABASE_URL is required for a standalone worker (`npm run stack` starts everything locally).');
  const db = await startupStep('database', () => openDatabase({
    url: databaseUrl, poolSize: config.databasePoolSize,
    // The SDK's default worker identity, so pg_stat_activity and Temporal name this process alike.
    applicationName: `sitesweep worker ${process.pid}@${os.hostname()}`,
  }));
  // Before the first NativeConnection: SDK logs through pino, SDK metrics merged into this worker's /metrics.
  await installSdkRuntime(config, log);
  const connection = await startupStep('temporal', () => connectWorker(config));
  // Temporal Cloud forbids this (PermissionDenied): warned with the tcld / Cloud UI steps, not fatal.
  await ensureSearchAttributes(connection, config.temporal.namespace, log);
  const parts = await createSitesweepWorker({ connection, config, db, log });
  log.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker started');
  // The worker's own Prometheus endpoint: pages audited, failures by reason, audit and persist latency.
  const metrics = config.metrics.port !== undefined ? await startMetricsServer(config.metrics.port, config.metrics.host) : null;
  if (metrics) log.info({ port: metrics.port }, 'worker metrics on /metrics');
  try {
    await runSitesweepWorker(parts, log).done;
  } catch (err) {
    alerts().error(err, { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, phase: 'run' });
    throw err;
  } finally {
    await metrics?.close();
    await db.destroy();
    await connection.close();
    // Spans of the last activities and workflow tasks (exported in batches each second otherwise).
    await shutdownTracing().catch((err: unknown) => log.warn({ err: String(err) }, 'could not flush traces'));
  }
}

run().catch(async (err) => {
  process.stderr.write(startupFailureText('worker', err));
  alerts().error(err, { phase: 'worker' });
  await alerts().flush();
  process.exit(1);
});
