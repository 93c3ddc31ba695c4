// API errors: one JSON shape, `{ error: { code, message, details } }`, for every refusal.
import type { ErrorRequestHandler } from 'express';
import { alerts } from '../alerts/sentry';
import { DomainError, RETRY_AFTER_SECONDS, type ErrorKind } from '../errors';
import type { Logger } from '../logger';
import { missingSearchAttribute, searchAttributesHint } from '../temporal/searchAttributes';

// The domain errors and input validation live in src/errors.ts (shared with the CLI); re-exported for the API's files.
export { DomainError, notFound, parseOr400, RETRY_AFTER_SECONDS, unstorableInput, validationError } from '../errors';

/**
 * A refusal that only the HTTP edge knows (authentication, method, media type) or that names its status directly.
 * A DomainError like any other, so the CLI, which shares the services, handles it without knowing HTTP.
 */
export class HttpError extends DomainError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(status >= 500 ? 'unavailable' : (KIND_OF_STATUS[status] ?? 'invalid'), code, message, details);
  }
}

/** The HTTP status of each kind of domain error: the one place the services' errors become HTTP. */
const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  not_allowed: 405,
  conflict: 409,
  unsupported: 415,
  unavailable: 503,
};
const KIND_OF_STATUS: Record<number, ErrorKind> = Object.fromEntries(Object.entries(STATUS_OF_KIND).map(([k, v]) => [v, k as ErrorKind]));

/** Status and headers of a domain error: its own for an HttpError; else by kind, with Retry-After when unavailable. */
function httpAnswer(err: DomainError): { status: number; headers: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.status, headers: err.headers };
  const status = STATUS_OF_KIND[err.kind];
  return { status, headers: err.kind === 'unavailable' ? { 'Retry-After': String(RETRY_AFTER_SECONDS) } : {} };
}

const PG_UNAVAILABLE_CODES = new Set([
  // Class 08 (connection exception), 57P01-03 (admin/crash shutdown, cannot connect now), 53300 (too many connections).
  '08000', '08001', '08003', '08004', '08006', '08007', '57P01', '57P02', '57P03', '53300',
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
]);
const PG_UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command|connect ECONNREFUSED/i;

/** The error (or the driver error it wraps) says PostgreSQL cannot be reached, as opposed to a bad query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  // A Temporal client error can carry "connect ECONNREFUSED" from gRPC too: that outage is Temporal's, not ours.
  if (isTemporalUnavailable(err)) return false;
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

export const databaseUnavailable = () => new DomainError('unavailable', 'database_unavailable', 'The database is unreachable; retry shortly', null);
export const temporalUnavailable = () => new DomainError('unavailable', 'temporal_unavailable', 'The Temporal server is unreachable; retry shortly', null);

/** PostgreSQL data exceptions (class 22: NUL byte, bad encoding, out-of-range number): input it cannot store. */
function isPgDataException(err: unknown): boolean {
  const code = (err as any)?.driverError?.code ?? (err as any)?.code;
  return typeof code === 'string' && code.startsWith('22');
}

/**
 * Temporal refused a start because the namespace lacks a search attribute the workflows set: the server's
 * configuration, not the request, so a 503 that says how to fix it (a worker registers them where the server allows).
 */
function searchAttributesMissing(err: unknown, namespace: string): DomainError | null {
  const missing = missingSearchAttribute(err);
  if (!missing) return null;
  const ns = missing.namespace ?? namespace;
  return new DomainError(
    'unavailable',
    'search_attributes_missing',
    `Temporal namespace ${ns} has no search attribute ${missing.name}, which every Sitesweep run sets. A worker registers them when it starts (npm run worker) where the server allows it. ${searchAttributesHint(ns)}`,
    { namespace: ns, missing: missing.name },
  );
}

export function errorHandler(log: Logger, namespace: string): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (!(err instanceof DomainError)) {
      // Known conditions get their own answer; only the unknown is a 500.
      const misconfigured = searchAttributesMissing(err, namespace);
      if (misconfigured) {
        log.warn(misconfigured.details, 'temporal namespace lacks search attributes');
        err = misconfigured;
      } else if (isDatabaseUnavailable(err)) {
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
    if (err instanceof DomainError) {
      const { status, headers } = httpAnswer(err);
      res.set(headers);
      res.status(status).json({ error: { code: err.code, message: err.message, details: err.details ?? null } });
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
