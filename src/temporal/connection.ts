// Temporal connections: every Client, NativeConnection and reachability probe uses config.temporal.connection, which
// src/config.ts resolves through @temporalio/envconfig (TEMPORAL_ADDRESS, TEMPORAL_PROFILE and its file, TEMPORAL_API_KEY,
// TEMPORAL_TLS*, gRPC metadata), so a probe never says "unreachable" to a server the real connection would reach.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import { clientConnectionOptions, nativeConnectionOptions } from './connectionOptions';
import { tracing } from './tracing';

export { clientConnectionOptions, nativeConnectionOptions } from './connectionOptions';

/** One Client per process, created at boot. */
export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(clientConnectionOptions(config.temporal.connection));
  const t = tracing(config.temporal.otlpEndpoint);
  // Traced: StartWorkflow/SignalWorkflow/... spans whose context travels to the workflow in headers.
  const interceptors = t ? { workflow: [t.clientInterceptor()] } : undefined;
  return new Client({ connection, namespace: config.temporal.namespace, ...(interceptors ? { interceptors } : {}) });
}

/** One NativeConnection per worker process. */
export async function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(nativeConnectionOptions(config.temporal.connection));
}
