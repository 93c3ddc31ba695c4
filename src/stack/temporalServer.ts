// Runs a local Temporal dev server (`temporal server start-dev`) with Sitesweep's search attributes,
// and helpers for servers we did not start. Falls back to the SDK's downloaded CLI when no binary is found.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TemporalConnectionSettings } from '../config';
import { clientConnectionOptions } from '../temporal/connectionOptions';
import { SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
import { findOrBuildTemporalCli } from './temporalCli';
import { getFreePort, silentLogger, stopOnSignal, type Logger } from './ports';

// Registering the search attributes is not dev-stack code (the worker does it on any server): re-exported from there.
export { ensureSearchAttributes, searchAttributesHint, SEARCH_ATTRIBUTES, type OperatorConnection } from '../temporal/searchAttributes';

const READY_DEADLINE_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const STDERR_KEEP = 16_384;

export interface TemporalDevServerOptions {
  port?: number;
  uiPort?: number;
  /** Serve the Web UI (default false: --headless). */
  ui?: boolean;
  /** SQLite file; state survives restarts. Default: in memory. */
  dbFilename?: string;
  namespace?: string;
  /** `--dynamic-config-value key=<JSON value>`, e.g. { 'limit.historyCount.suggestContinueAsNew': 50 }. */
  dynamicConfig?: Record<string, string | number | boolean>;
  log?: Logger;
  /** Use this binary instead of looking one up. */
  executable?: string;
  /** Run through TestWorkflowEnvironment.createLocal even when a binary exists (tests the fallback offline with `executable`). */
  viaSdk?: boolean;
}

export interface TemporalDevServer {
  /** host:port for Connection/NativeConnection. */
  address: string;
  uiUrl: string | null;
  namespace: string;
  port: number;
  uiPort: number | null;
  dbFilename: string | null;
  /** Path of the CLI binary, or 'sdk-download' when the SDK's cached download runs it. */
  executable: string;
  /** PID of the server process (null for the SDK fallback, which does not expose it). */
  readonly pid: number | null;
  stop(): Promise<void>;
  /** Stop and start again on the same ports and db file. */
  restart(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A target to probe: a bare address (a server we run, plain gRPC) or the configured connection settings (TLS, API key). */
export type TemporalTarget = string | TemporalConnectionSettings;

/** True when a Temporal frontend answers at `target` within `timeoutMs`, with the same TLS/API key as real connections. */
export async function isTemporalReachable(target: TemporalTarget, timeoutMs = 3_000): Promise<boolean> {
  const settings = typeof target === 'string' ? { address: target } : target;
  if (!(await tcpOpen(settings.address, timeoutMs))) return false;
  let conn: Connection | undefined;
  try {
    // lazy + ensureConnected so that a failed attempt can still be closed (connect() would leak the channel).
    conn = Connection.lazy({ ...clientConnectionOptions(settings), connectTimeout: timeoutMs });
    await conn.ensureConnected();
    return true;
  } catch {
    return false;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

/** Cheap pre-check: something accepts TCP connections at host:port. */
function tcpOpen(address: string, timeoutMs: number): Promise<boolean> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
    const sock = net.connect({ host, port: Number(address.slice(i + 1)) });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Ready = namespace exists and the search attributes are listed. */
async function probe(address: string, namespace: string): Promise<boolean> {
  if (!(await tcpOpen(address, 1_000))) return false;
  let conn: Connection | undefined;
  try {
    conn = Connection.lazy({ address, connectTimeout: 2_000 });
    const c = conn;
    await c.ensureConnected();
    const { customAttributes } = await c.withDeadline(Date.now() + 3_000, () => c.operatorService.listSearchAttributes({ namespace }));
    return SEARCH_ATTRIBUTES.every((name) => customAttributes && name in customAttributes);
  } catch {
    return false;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

function buildArgs(o: {
  port: number;
  uiPort: number | null;
  dbFilename: string | null;
  namespace: string;
  dynamicConfig: Record<string, string | number | boolean>;
}): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port)];
  if (o.uiPort !== null) args.push('--ui-port', String(o.uiPort));
  else args.push('--headless');
  if (o.dbFilename) args.push('--db-filename', o.dbFilename);
  // `default` always exists; naming it again is harmless but noisy.
  if (o.namespace !== 'default') args.push('--namespace', o.namespace);
  for (const name of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${name}=Keyword`);
  args.push(...dynamicConfigArgs(o.dynamicConfig));
  args.push('--log-level', 'warn');
  return args;
}

function dynamicConfigArgs(dc: Record<string, string | number | boolean>): string[] {
  // Values must be JSON: strings are quoted.
  return Object.entries(dc).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]);
}

/** The dev server's Web UI: it listens on loopback only (`--ip 127.0.0.1`), the address its links must name. */
export const devServerUiUrl = (port: number) => `http://127.0.0.1:${port}`;

/** Start `temporal server start-dev` and wait until it serves the namespace with the search attributes. */
export async function startTemporalDevServer(opts: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      // A port taken between getFreePort() and bind (parallel test processes), or one of the CLI's own random ports.
      if (attempt >= 3 || !/address already in use/i.test(errorMessage(err))) throw err;
      (opts.log ?? silentLogger).warn({ attempt }, 'temporal dev server port was taken; retrying');
    }
  }
}

async function startOnce(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const log = opts.log ?? silentLogger;
  const namespace = opts.namespace ?? 'default';
  const port = opts.port ?? (await getFreePort());
  const uiPort = opts.ui ? (opts.uiPort ?? (await getFreePort())) : null;
  const dbFilename = opts.dbFilename ?? null;
  const dynamicConfig = opts.dynamicConfig ?? {};

  if (opts.viaSdk) return startViaSdk({ port, uiPort, dbFilename, namespace, dynamicConfig, log, executable: opts.executable ?? null });
  const executable = opts.executable ?? (await findOrBuildTemporalCli({ log }));
  if (!executable) {
    log.warn('no temporal CLI found and none could be built; using the Temporal SDK download');
    return startViaSdk({ port, uiPort, dbFilename, namespace, dynamicConfig, log, executable: null });
  }

  const address = `127.0.0.1:${port}`;
  const args = buildArgs({ port, uiPort, dbFilename, namespace, dynamicConfig });
  let child: ChildProcess | null = null;
  let exitPromise: Promise<void> = Promise.resolve();

  const killOnExit = () => child?.kill('SIGKILL');
  let unhookSignals: (() => void) | null = null;

  const spawnAndWait = async (): Promise<void> => {
    const started = Date.now();
    log.debug({ executable, args }, 'starting temporal dev server');
    // Its own process group: a terminal's Ctrl-C signals the whole foreground group, and the server must outlive it
    // until the command that started it has cancelled its run and stops it (stop() below).
    const proc = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child = proc;
    let stderr = '';
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    proc.stdout?.resume(); // banner only; drain it
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let spawnError: Error | null = null;
    exitPromise = new Promise<void>((resolve) => {
      proc.once('error', (err) => {
        spawnError = err;
        exited ??= { code: null, signal: null };
        resolve();
      });
      proc.once('exit', (code, signal) => {
        exited = { code, signal };
        if (child === proc) child = null;
        resolve();
      });
    });
    process.once('exit', killOnExit);
    // From the spawn on, not once ready: the server runs in its own process group, so a Ctrl-C during its startup
    // would otherwise leave it running.
    unhookSignals ??= stopOnSignal(stop);

    const deadline = started + READY_DEADLINE_MS;
    for (;;) {
      if (exited) {
        const e = exited as { code: number | null; signal: NodeJS.Signals | null };
        const why = spawnError ? errorMessage(spawnError) : `exit code ${e.code ?? 'null'}, signal ${e.signal ?? 'none'}`;
        process.removeListener('exit', killOnExit);
        throw new Error(`Temporal dev server exited during startup (${why}):\n${stderr.trim()}`);
      }
      if (await probe(address, namespace)) break;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exitPromise;
        process.removeListener('exit', killOnExit);
        throw new Error(`Temporal dev server not ready after ${READY_DEADLINE_MS / 1000}s at ${address}:\n${stderr.trim()}`);
      }
      await sleep(100);
    }
    log.info({ address, uiPort, pid: proc.pid, ms: Date.now() - started }, 'temporal dev server ready');
  };

  async function stop(): Promise<void> {
    unhookSignals?.();
    unhookSignals = null;
    const proc = child;
    if (!proc) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
    await exitPromise;
    clearTimeout(timer);
    process.removeListener('exit', killOnExit);
    log.debug({ address }, 'temporal dev server stopped');
  }

  await spawnAndWait();

  return {
    address,
    uiUrl: uiPort !== null ? devServerUiUrl(uiPort) : null,
    namespace,
    port,
    uiPort,
    dbFilename,
    executable,
    get pid() {
      return (child as ChildProcess | null)?.pid ?? null;
    },
    stop,
    async restart() {
      await stop();
      await spawnAndWait();
    },
  };
}

/** Fallback: the SDK's `cached-download` CLI through TestWorkflowEnvironment, wrapped in the same interface. */
async function startViaSdk(o: {
  port: number;
  uiPort: number | null;
  dbFilename: string | null;
  namespace: string;
  dynamicConfig: Record<string, string | number | boolean>;
  log: Logger;
  /** null: the SDK's cached download. */
  executable: string | null;
}): Promise<TemporalDevServer> {
  // Loaded lazily: @temporalio/testing pulls in the worker runtime.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const create = () =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: o.executable ? { type: 'existing-path', path: o.executable } : { type: 'cached-download' },
        ip: '127.0.0.1',
        port: o.port,
        ui: o.uiPort !== null,
        ...(o.uiPort !== null ? { uiPort: o.uiPort } : {}),
        ...(o.dbFilename ? { dbFilename: o.dbFilename } : {}),
        namespace: o.namespace,
        log: { format: 'pretty', level: 'warn' },
        searchAttributes: SEARCH_ATTRIBUTES.map((name) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD)),
        extraArgs: dynamicConfigArgs(o.dynamicConfig),
      },
    });
  const t0 = Date.now();
  let env: TestWorkflowEnvironment | null = await create();
  const address = `127.0.0.1:${o.port}`;
  let unhookSignals: (() => void) | null = null;
  async function stop(): Promise<void> {
    unhookSignals?.();
    unhookSignals = null;
    const e = env;
    env = null;
    await e?.teardown();
  }
  unhookSignals = stopOnSignal(stop);
  o.log.info({ address, ms: Date.now() - t0 }, 'temporal dev server ready (SDK)');
  return {
    address,
    uiUrl: o.uiPort !== null ? devServerUiUrl(o.uiPort) : null,
    namespace: o.namespace,
    port: o.port,
    uiPort: o.uiPort,
    dbFilename: o.dbFilename,
    executable: o.executable ?? 'sdk-download',
    pid: null,
    stop,
    async restart() {
      await stop();
      env = await create();
      unhookSignals = stopOnSignal(stop);
    },
  };
}
