// src/stack: the dev stack, for the CLI, tests and benchmark only (the worker never imports it): a Temporal dev
// server (temporalServer.ts, temporalCli.ts), embedded PostgreSQL (postgres.ts), ports and process helpers.
// The local stack for the CLI: reuse what is configured and reachable, start what is missing.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig, type Config, type TemporalConnectionSettings } from '../config';
import { clientConnectionOptions } from '../temporal/connectionOptions';
import { maskUrl, preferPort, silentLogger, type Logger } from './ports';
import { startLocalPostgres, type LocalPostgres } from './postgres';
import { ensureSearchAttributes, isTemporalReachable, startTemporalDevServer, type TemporalDevServer, type TemporalTarget } from './temporalServer';

export { findOrBuildTemporalCli, temporalCliCacheDir, TEMPORAL_CLI_VERSION } from './temporalCli';
export { devServerUiUrl, ensureSearchAttributes, isTemporalReachable, searchAttributesHint, startTemporalDevServer, SEARCH_ATTRIBUTES } from './temporalServer';
export type { OperatorConnection, TemporalDevServer, TemporalDevServerOptions, TemporalTarget } from './temporalServer';
export { createDatabase, dropDatabase, startLocalPostgres } from './postgres';
export type { LocalPostgres, LocalPostgresOptions } from './postgres';
export { closedPort, getFreePort, isPortFree, maskUrl, pidAlive, preferPort, silentLogger } from './ports';
export type { Logger } from './ports';

export interface BringUpOptions {
  /** Serve the Temporal Web UI when we start the dev server. */
  wantUi?: boolean;
  log?: Logger;
  /** Where the persistent local state lives (default: config.home, i.e. SITESWEEP_HOME or ~/.sitesweep). */
  sitesweepHome?: string;
  /** Defaults to loadConfig(). */
  config?: Config;
  /** Try Temporal's default ports 7233/8233 first and reuse a server already on 7233 (default true). */
  preferDefaultPorts?: boolean;
}

export interface Stack {
  temporalAddress: string;
  temporalNamespace: string;
  /** True when the Temporal server is the configured one (TEMPORAL_ADDRESS / profile): connect with its TLS/API key.
   * False: a local server (ours, or one found on the default port), plain gRPC. */
  temporalConfigured: boolean;
  /** True when the Temporal server may be shared with other workers (configured, or found already running). */
  temporalShared: boolean;
  temporalUiUrl: string | null;
  databaseUrl: string;
  /** What this call started ('temporal', 'postgres'); stop() stops only these. */
  started: string[];
  temporalServer: TemporalDevServer | null;
  postgres: LocalPostgres | null;
  stop(): Promise<void>;
}

const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_UI_PORT = 8233;

async function useExistingTemporal(target: TemporalTarget, namespace: string, log: Logger): Promise<void> {
  const settings: TemporalConnectionSettings = typeof target === 'string' ? { address: target } : target;
  const connection = Connection.lazy({ ...clientConnectionOptions(settings), connectTimeout: 5_000 });
  try {
    await connection.ensureConnected();
    await ensureSearchAttributes(connection, namespace, log);
  } finally {
    await connection.close();
  }
}

/** Bring up Temporal and PostgreSQL for the CLI: configured ones if reachable, else local ones. */
export async function bringUpStack(opts: BringUpOptions = {}): Promise<Stack> {
  const log = opts.log ?? silentLogger;
  const config = opts.config ?? loadConfig();
  const home = opts.sitesweepHome ?? config.home;
  const namespace = config.temporal.namespace;
  const preferDefaults = opts.preferDefaultPorts ?? true;
  const started: string[] = [];
  let temporalServer: TemporalDevServer | null = null;
  let postgres: LocalPostgres | null = null;

  const stop = async (): Promise<void> => {
    const results = await Promise.allSettled([temporalServer?.stop(), postgres?.stop()]);
    for (const r of results) if (r.status === 'rejected') log.warn({ err: String(r.reason) }, 'stack stop failed');
  };

  try {
    await fs.mkdir(home, { recursive: true, mode: 0o700 });
    // Temporal: TEMPORAL_ADDRESS, else a server already on the default port, else our own dev server.
    let temporalAddress: string;
    let temporalUiUrl: string | null;
    let temporalConfigured = false;
    const configured = config.temporal.address;
    const localDefault = `127.0.0.1:${DEFAULT_TEMPORAL_PORT}`;
    if (configured && (await isTemporalReachable(config.temporal.connection, 5_000))) {
      await useExistingTemporal(config.temporal.connection, namespace, log);
      temporalAddress = configured;
      temporalConfigured = true;
      temporalUiUrl = config.temporal.uiUrl;
      log.info({ address: configured }, 'using the configured Temporal server');
    } else if (!configured && preferDefaults && (await isTemporalReachable(localDefault, 1_500))) {
      await useExistingTemporal(localDefault, namespace, log);
      temporalAddress = localDefault;
      temporalUiUrl = config.temporal.uiUrl;
      log.info({ address: localDefault }, 'using the Temporal server already running on the default port');
    } else {
      if (configured) log.warn({ address: configured }, 'TEMPORAL_ADDRESS is not reachable; starting a local dev server');
      const wantUi = opts.wantUi ?? true;
      temporalServer = await startTemporalDevServer({
        ...(preferDefaults ? { port: await preferPort(DEFAULT_TEMPORAL_PORT) } : {}),
        ui: wantUi,
        ...(wantUi && preferDefaults ? { uiPort: await preferPort(DEFAULT_UI_PORT) } : {}),
        dbFilename: path.join(home, 'temporal.db'),
        namespace,
        log,
      });
      started.push('temporal');
      temporalAddress = temporalServer.address;
      temporalUiUrl = temporalServer.uiUrl;
    }

    // PostgreSQL: DATABASE_URL, else a persistent local cluster.
    let databaseUrl: string;
    if (config.databaseUrl) {
      databaseUrl = config.databaseUrl;
      log.info({ url: maskUrl(databaseUrl) }, 'using DATABASE_URL');
    } else {
      postgres = await startLocalPostgres({ dataDir: path.join(home, 'pg'), persistent: true, log });
      if (!postgres.reused) started.push('postgres');
      databaseUrl = postgres.url;
    }

    return {
      temporalAddress,
      temporalNamespace: namespace,
      temporalConfigured,
      temporalShared: !started.includes('temporal'),
      temporalUiUrl,
      databaseUrl,
      started,
      temporalServer,
      postgres,
      async stop() {
        // A PostgreSQL adopted from an earlier run is left running, like servers we did not start.
        if (postgres?.reused) postgres = null;
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
