// API errors: one JSON shape, `{ error: { code, message, details } }`, for every refusal.
import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '../logger';

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);

/** A zod failure as a 400 whose message names every offending field (`options.maxPages: must be >= 1`). */
export function validationError(err: z.ZodError, prefix = ''): HttpError {
  const details = err.issues.map((i) => ({ field: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)', message: i.message }));
  const message = details.map((d) => `${d.field}: ${d.message}`).join('; ');
  return new HttpError(400, 'invalid_request', message, details);
}

export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, prefix);
  return r.data;
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details ?? null } });
      return;
    }
    // body-parser errors: malformed JSON, body too large, wrong charset.
    const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      const code = err.type === 'entity.too.large' ? 'payload_too_large' : err.type === 'entity.parse.failed' ? 'malformed_json' : 'bad_request';
      const message = code === 'malformed_json' ? 'body: is not valid JSON' : code === 'payload_too_large' ? 'body: is larger than the limit' : String(err.message);
      res.status(status).json({ error: { code, message, details: null } });
      return;
    }
    log.error({ err }, 'request failed');
    res.status(500).json({ error: { code: 'internal', message: 'Internal error', details: null } });
  };
}
