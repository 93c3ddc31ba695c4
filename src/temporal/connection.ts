// Temporal connection settings: our config first, then @temporalio/envconfig's conventions (TEMPORAL_* env, profiles).
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';

function connectOptions(config: Config) {
  let fromEnv: { address?: string; tls?: unknown; apiKey?: string } = {};
  try {
    fromEnv = loadClientConnectConfig().connectionOptions as typeof fromEnv;
  } catch {
    // No profile file and no TEMPORAL_* variables: the defaults below apply.
  }
  return { ...fromEnv, address: config.temporal.address ?? fromEnv.address ?? 'localhost:7233' };
}

/** One Client per process, created at boot. */
export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(connectOptions(config) as Parameters<typeof Connection.connect>[0]);
  return new Client({ connection, namespace: config.temporal.namespace });
}

/** One NativeConnection per worker process. */
export async function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(connectOptions(config) as Parameters<typeof NativeConnection.connect>[0]);
}
