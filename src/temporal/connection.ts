// Temporal connections: every Client, NativeConnection and reachability probe uses config.temporal.connection, which
// src/config.ts resolves through @temporalio/envconfig (TEMPORAL_ADDRESS, TEMPORAL_PROFILE and its file, TEMPORAL_API_KEY,
// TEMPORAL_TLS*, gRPC metadata), so a probe never says "unreachable" to a server the real connection would reach.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import { clientConnectionOptions, nativeConnectionOptions } from './connectionOptions';

export { clientConnectionOptions, nativeConnectionOptions } from './connectionOptions';

/** One Client per process, created at boot. */
export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(clientConnectionOptions(config.temporal.connection));
  return new Client({ connection, namespace: config.temporal.namespace });
}

/** One NativeConnection per worker process. */
export async function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(nativeConnectionOptions(config.temporal.connection));
}
