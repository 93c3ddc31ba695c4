// API errors: one JSON shape, `{ error: { code, message, details } }`, for every refusal.
import type { ErrorRequestHandler } from 'express';
import { alerts } from '../alerts/sentry';
import { z } from 'zod';
import type { Logger } from '../logger';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Seconds a client should wait before retrying after a 503 (Retry-After). */
export const RETRY_AFTER_SECONDS = 5;

const PG_UNAVAILABLE_CODES = new Set([
  // Class 08 (connection exception), 57P01-03 (admin/crash shutdown, cannot connect now), 53300 (too many connections).
  '08000', '08001', '08003', '08004', '08006', '08007', '57P01', '57P02', '57P03', '53300',
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
]);
const PG_UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command|connect ECONNREFUSED/i;

/** The error (or the driver error it wraps) says PostgreSQL cannot be reached, as opposed to a bad query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: any = err, depth = 0; e && depth < 4; e = e.driverError ?? e.cause, depth++) {
    if (typeof e.code === 'string' && PG_UNAVAILABLE_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && PG_UNAVAILABLE_MESSAGE.test(e.message)) return true;
    if (Array.isArray(e.errors) && e.errors.some((x: unknown) => isDatabaseUnavailable(x))) return true; // AggregateError (connect to ::1 and 127.0.0.1)
  }
  return false;
}

/** A gRPC UNAVAILABLE / DEADLINE_EXCEEDED from the Temporal client: the server cannot be reached. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: any = err, depth = 0; e && depth < 4; e = e.cause, depth++) {
    if (e.name === 'ServiceError' && /UNAVAILABLE|DEADLINE_EXCEEDED|Failed to connect|connection refused/i.test(String(e.message))) return true;
    if (e.code === 14 || e.code === 4) return true; // grpc status UNAVAILABLE, DEADLINE_EXCEEDED
  }
  return false;
}

export const databaseUnavailable = () =>
  new HttpError(503, 'database_unavailable', 'The database is unreachable; retry shortly', null, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
export const temporalUnavailable = () =>
  new HttpError(503, 'temporal_unavailable', 'The Temporal server is unreachable; retry shortly', null, { 'Retry-After': String(RETRY_AFTER_SECONDS) });

/** PostgreSQL data exceptions (class 22: NUL byte, bad encoding, out-of-range number): input it cannot store. */
function isPgDataException(err: unknown): boolean {
  const code = (err as any)?.driverError?.code ?? (err as any)?.code;
  return typeof code === 'string' && code.startsWith('22');
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);

/** A zod failure as a 400 whose message names every offending field (`options.maxPages: must be >= 1`). */
export function validationError(err: z.ZodError, prefix = ''): HttpError {
  const details = err.issues.map((i) => ({ field: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)', message: i.message }));
  const message = details.map((d) => `${d.field}: ${d.message}`).join('; ');
  return new HttpError(400, 'invalid_request', message, details);
}

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first string (key or value, at any depth) that PostgreSQL cannot store — a NUL byte, or a lone UTF-16
 * surrogate (not encodable as UTF-8) — as a 400 naming its field; null when there is none.
 */
export function unstorableInput(value: unknown, field = ''): HttpError | null {
  // Iterative with a depth cap: a 100k-deep body must not overflow the stack (the schema refuses such nesting anyway).
  const stack: Array<[unknown, string, number]> = [[value, field, 0]];
  while (stack.length > 0) {
    const [v, f, depth] = stack.pop()!;
    const name = f || '(body)';
    if (typeof v === 'string') {
      if (NUL.test(v)) return new HttpError(400, 'invalid_request', `${name}: must not contain NUL bytes`, [{ field: name, message: 'must not contain NUL bytes' }]);
      if (LONE_SURROGATE.test(v)) return new HttpError(400, 'invalid_request', `${name}: must be valid Unicode (UTF-8)`, [{ field: name, message: 'must be valid Unicode (UTF-8)' }]);
      continue;
    }
    if (!v || typeof v !== 'object' || depth >= 32) continue;
    const entries = Array.isArray(v) ? v.map((x, i) => [`${f}[${i}]`, x, null] as const) : Object.entries(v).map(([k, x]) => [f ? `${f}.${k}` : k, x, k] as const);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [childField, child, key] = entries[i];
      stack.push([child, childField, depth + 1]);
      if (key !== null) stack.push([key, childField, depth + 1]);
    }
  }
  return null;
}

export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const bad = unstorableInput(value, prefix);
  if (bad) throw bad;
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, prefix);
  return r.data;
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (!(err instanceof HttpError)) {
      // Known conditions get their own answer; only the unknown is a 500.
      if (isDatabaseUnavailable(err)) {
        log.warn({ err: String(err?.message ?? err) }, 'database unavailable');
        err = databaseUnavailable();
      } else if (isTemporalUnavailable(err)) {
        log.warn({ err: String(err?.message ?? err) }, 'temporal unavailable');
        err = temporalUnavailable();
      } else if (isPgDataException(err)) {
        // Validation should have caught it; never a 500 for input the database cannot store.
        log.warn({ err: String(err?.message ?? err) }, 'input refused by the database');
        err = new HttpError(400, 'invalid_request', 'a value in the request cannot be stored (out of range or invalid encoding)', null);
      }
    }
    if (err instanceof HttpError) {
      res.set(err.headers);
      res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details ?? null } });
      return;
    }
    // body-parser errors: malformed JSON, body too large, wrong charset.
    const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      const code = err.type === 'entity.too.large' ? 'payload_too_large' : err.type === 'entity.parse.failed' ? 'malformed_json' : err.code === 'invalid_utf8' ? 'invalid_request' : 'bad_request';
      // Express 5 cannot percent-decode a path parameter that is not UTF-8 ("Failed to decode param '%FF'").
      const badParam = /^Failed to decode param/.test(String(err.message));
      const message = code === 'malformed_json' ? 'body: is not valid JSON'
        : code === 'payload_too_large' ? 'body: is larger than the limit'
        : badParam ? 'id: is not valid UTF-8 (percent-encoding)'
        : String(err.message);
      res.status(status).json({ error: { code: badParam ? 'invalid_request' : code, message, details: null } });
      return;
    }
    log.error({ err }, 'request failed');
    // Method and route only: no query string, headers or body (they may carry tokens or credentials).
    alerts().error(err, { method: req.method, route: String(req.route?.path ?? req.path ?? '').slice(0, 200) }, { component: 'api' });
    res.status(500).json({ error: { code: 'internal', message: 'Internal error', details: null } });
  };
}
