// Test access to the real stack that scripts/run-tests.ts brought up: a database per test file (migrated), a config,
// workers on private task queues, and the API on a free port.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/api/app';
import { listenApi } from '../../src/api/listen';
import { loadConfig, type Config } from '../../src/config';
import { openDatabase } from '../../src/db/dataSource';
import { createLogger } from '../../src/logger';
import { createDatabase, dropDatabase } from '../../src/stack';
import { backgroundChecksDone } from '../../src/temporal/closedExecution';
import { createSitesweepWorker, runSitesweepWorker } from '../../src/temporal/createWorker';

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {}
}

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through \`npm test\` (scripts/run-tests.ts)`);
  return v;
}

export const uid = () => randomBytes(4).toString('hex');

export interface TestDb {
  url: string;
  db: DataSource;
  close(): Promise<void>;
}

export async function createTestDatabase(prefix = 't'): Promise<TestDb> {
  const admin = requireEnv('SITESWEEP_TEST_PG_ADMIN_URL');
  const name = `${prefix}_${uid()}`;
  const url = await createDatabase(admin, name);
  const db = await openDatabase({ url, migrate: true, poolSize: 5 });
  return {
    url,
    db,
    close: async () => {
      await db.destroy().catch(() => {});
      await dropDatabase(admin, name).catch(() => {});
    },
  };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: process.env.SITESWEEP_TEST_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: `test-${uid()}`,
    TEMPORAL_UI_URL: 'http://localhost:8233',
    // Tests crawl fixture sites on 127.0.0.1, so they opt in to loopback targets explicitly.
    ALLOW_PRIVATE_TARGETS: 'true',
    LOG_LEVEL: 'warn',
    // Fixture sites are small: one analysis thread per test worker keeps the suite's start-up cost what it was.
    ANALYZE_THREADS: '1',
    ...overrides,
  });
}

export async function connectTestClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address! });
  return new Client({ connection, namespace: config.temporal.namespace });
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export async function startTestWorker(config: Config, db: DataSource, identity?: string): Promise<RunningWorker> {
  quietRuntime();
  const connection = await NativeConnection.connect({ address: config.temporal.address! });
  const parts = await createSitesweepWorker({ connection, config, db, log: createLogger('warn', 'test-worker'), identity });
  const running = runSitesweepWorker(parts);
  return {
    worker: parts.worker,
    stop: async () => {
      await running.stop();
      await connection.close();
    },
  };
}

export async function startTestApi(config: Config, db: DataSource, client: Client): Promise<{ url: string; close(): Promise<void> }> {
  const app = createApp({ db, client, config, log: createLogger('warn', 'test-api') });
  const server = listenApi(app, 0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  // Closed before its client's connection: the checks a list left running end first (see backgroundChecksDone).
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())).then(backgroundChecksDone) };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`waitFor timed out after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/**
 * A run's row (`columns` of it) once it says how its workflow closed: its closer writes completed just after the
 * workflow has closed, so a test that has the workflow's result reads the row through this.
 */
export async function closedRunRow(db: { query(sql: string, params?: unknown[]): Promise<any[]> }, runId: string, columns = 'status'): Promise<any> {
  return waitFor(async () => {
    const [row] = await db.query(`SELECT ${columns} FROM audit_runs WHERE id = $1`, [runId]);
    return row && !['queued', 'running'].includes(row.status) ? row : null;
  }, 15_000, 50);
}

export interface ApiAnswer {
  status: number;
  body: any;
}

/** A JSON caller bound to a test API: `call('POST', '/api/runs', {...})` → `{ status, body }`. A string body is sent as is. */
export function apiCaller(baseUrl: () => string) {
  return async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
}

export interface TestServices {
  client: Client;
  worker: RunningWorker;
  api: { url: string; close(): Promise<void> };
  /** Stops the API, then the worker, then the client connection. */
  stop(): Promise<void>;
}

/** A client, an in-process worker and the API on a free port: what most end-to-end tests run against. */
export async function startServices(config: Config, db: DataSource): Promise<TestServices> {
  const client = await connectTestClient(config);
  const worker = await startTestWorker(config, db);
  const api = await startTestApi(config, db, client);
  return {
    client,
    worker,
    api,
    stop: async () => {
      await api.close();
      await worker.stop();
      await client.connection.close();
    },
  };
}

/** Polls GET /api/runs/:id until the run is completed, failed or cancelled: its view. */
export function runFinished(call: ReturnType<typeof apiCaller>, runId: string, timeoutMs = 80_000): Promise<any> {
  return waitFor(async () => {
    const r = await call('GET', `/api/runs/${runId}`);
    return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : null;
  }, timeoutMs, 300);
}

/** POST /api/runs with `body`, then waits for the run to finish and asserts it completed: its id and final view. */
export async function runToCompletion(call: ReturnType<typeof apiCaller>, body: Record<string, unknown>, timeoutMs = 80_000): Promise<{ runId: string; view: any }> {
  const started = await call('POST', '/api/runs', body);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const view = await runFinished(call, started.body.runId, timeoutMs);
  assert.equal(view.status, 'completed', JSON.stringify(view.error));
  return { runId: started.body.runId as string, view };
}
