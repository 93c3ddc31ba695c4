// A Sitesweep worker in its own OS process, for tests that kill workers for real (kill -9).
// Run as a script (`node --import tsx test/helpers/workerProcess.ts`) it builds a worker with createSitesweepWorker from
// the environment (DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, WORKFLOW_BUNDLE_PATH, ALLOW_PRIVATE_TARGETS,
// AUDIT_HEARTBEAT_TIMEOUT_MS, …; WORKER_IDENTITY names it) and prints `SITESWEEP_WORKER_READY <identity>` once it polls.
// Imported, it exports spawnWorkerProcess() which starts such a process and waits for that line.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig, type Config } from '../../src/config';
import { openDatabase } from '../../src/db/dataSource';
import { createLogger } from '../../src/logger';
import { createSitesweepWorker, runSitesweepWorker } from '../../src/temporal/createWorker';

const READY = 'SITESWEEP_WORKER_READY';

export interface WorkerProcess {
  identity: string;
  pid: number;
  /** Resolves with the exit code / signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote (stdout + stderr), for failure messages. */
  output(): string;
  /** SIGKILL: no drain, no goodbye; in-flight activities are left to their timeouts. */
  kill9(): Promise<void>;
  /** SIGTERM (the worker drains), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * What a worker process needs to join a test's stack: its database, the config's Temporal server, task queue and
 * workflow bundle, loopback targets allowed, quiet logs; `extra` on top.
 */
export function workerProcessEnv(config: Config, databaseUrl: string, extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '4',
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    WORKFLOW_BUNDLE_PATH: config.worker.bundlePath,
    ALLOW_PRIVATE_TARGETS: 'true',
    LOG_LEVEL: 'warn',
    ANALYZE_THREADS: String(config.worker.analyzeThreads),
    ...extra,
  };
}

export async function spawnWorkerProcess(env: Record<string, string | undefined>, identity: string, readyTimeoutMs = 60_000): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', __filename], {
    env: { ...process.env, ...env, WORKER_IDENTITY: identity },
    cwd: path.join(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${identity} not ready after ${readyTimeoutMs} ms:\n${out}`)), readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      out = (out + chunk.toString('utf8')).slice(-32_768);
      if (out.includes(`${READY} ${identity}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`worker ${identity} exited before it was ready (code ${code}, signal ${signal}):\n${out}`));
    });
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  await ready;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    identity,
    pid: child.pid!,
    exited,
    output: () => out,
    async kill9() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = loadConfig();
  const identity = process.env.WORKER_IDENTITY ?? `worker-${process.pid}`;
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is required');
  const log = createLogger(config.logLevel, identity);
  // Named by its identity, so a test can find this process's transactions in pg_stat_activity.
  const db = await openDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, applicationName: identity });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const running = runSitesweepWorker(await createSitesweepWorker({ connection, config, db, log, identity }));
  process.stdout.write(`${READY} ${identity}\n`);
  try {
    await running.done;
  } finally {
    await db.destroy();
    await connection.close();
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
