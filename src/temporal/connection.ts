// Temporal connections: every Client, NativeConnection and reachability probe uses config.temporal.connection, which
// src/config.ts resolves through @temporalio/envconfig (TEMPORAL_ADDRESS, TEMPORAL_PROFILE and its file, TEMPORAL_API_KEY,
// TEMPORAL_TLS*, gRPC metadata), so a probe never says "unreachable" to a server the real connection would reach.
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import { clientConnectionOptions, nativeConnectionOptions } from './connectionOptions';
import { tracing } from './tracing';

export { clientConnectionOptions, nativeConnectionOptions } from './connectionOptions';

/**
 * gRPC retries for the API process, which answers HTTP requests: 6 attempts (~3 s of backoff) before a call to an
 * unreachable Temporal fails, against the SDK's default 10 (~20 s): a client got its 503 temporal_unavailable after
 * 20.6 s, long after most HTTP clients and proxies give up. Blips shorter than that are still retried, and the 503
 * carries Retry-After.
 */
export const API_GRPC_RETRY_ATTEMPTS = 6;

export function apiGrpcInterceptors() {
  return [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: API_GRPC_RETRY_ATTEMPTS }))];
}

/**
 * One Client per process, created at boot; `forApi`: the API's shorter retries (above); `lazy`: connects on its first
 * call instead of now (a command that can do without Temporal does not wait for an unreachable one up front).
 */
export async function connectClient(config: Config, opts: { forApi?: boolean; lazy?: boolean } = {}): Promise<Client> {
  const options = {
    ...clientConnectionOptions(config.temporal.connection),
    ...(opts.forApi ? { interceptors: apiGrpcInterceptors() } : {}),
  };
  const connection = opts.lazy ? Connection.lazy(options) : await Connection.connect(options);
  const t = tracing(config.temporal.otlpEndpoint);
  // Traced: StartWorkflow/SignalWorkflow/... spans whose context travels to the workflow in headers.
  const interceptors = t ? { workflow: [t.clientInterceptor()] } : undefined;
  return new Client({ connection, namespace: config.temporal.namespace, ...(interceptors ? { interceptors } : {}) });
}

/** One NativeConnection per worker process. */
export async function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(nativeConnectionOptions(config.temporal.connection));
}
