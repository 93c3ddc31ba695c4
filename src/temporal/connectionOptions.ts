// Connection options from the envconfig-resolved settings (kept apart from connection.ts so the stack's probe does not
// load the worker runtime).
import type { ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalConnectionSettings } from '../config';

export function clientConnectionOptions(s: TemporalConnectionSettings): ConnectionOptions {
  return {
    address: s.address,
    ...(s.tls !== undefined ? { tls: s.tls } : {}),
    ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}),
    ...(s.metadata ? { metadata: s.metadata } : {}),
  };
}

export function nativeConnectionOptions(s: TemporalConnectionSettings): NativeConnectionOptions {
  return {
    address: s.address,
    ...(s.tls !== undefined ? { tls: s.tls } : {}),
    ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}),
    ...(s.metadata ? { metadata: s.metadata } : {}),
  };
}

