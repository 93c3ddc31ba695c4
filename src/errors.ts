// Errors of the services the API and the CLI share (runs, batches, reports, config): what went wrong, in domain
// terms. The API maps them to HTTP at its edge (src/api/errors.ts); the CLI prints the message and exits 2, or 1 when
// a dependency is unavailable. Also the input validation both use (zod, plus what PostgreSQL cannot store).
import { z } from 'zod';

export type ErrorKind = 'invalid' | 'unauthorized' | 'forbidden' | 'not_found' | 'not_allowed' | 'conflict' | 'unsupported' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Stable machine-readable code (`invalid_request`, `not_running`, `database_unavailable` …). */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Seconds a client should wait before retrying when a dependency is unavailable (HTTP Retry-After). */
export const RETRY_AFTER_SECONDS = 5;

export const invalidInput = (message: string, details?: unknown) => new DomainError('invalid', 'invalid_request', message, details);

export const notFound = (what: string) => new DomainError('not_found', 'not_found', `${what} not found`);

/** Fields a refusal message names; `details` lists every one (a batch of 10,000 bad domains keeps a short message). */
const MAX_FIELDS_IN_MESSAGE = 10;

/** Field names as a person reads them, like the target-policy refusals: `domains[3]`, `options.sitemaps[1]`. */
function fieldName(prefix: string, path: PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), prefix) || '(body)';
}

/**
 * The one formatter of validation failures (API and CLI): invalid input whose message names the offending fields
 * (`options.maxPages: must be >= 1`) and whose details list them all.
 */
export function validationError(err: z.ZodError, prefix = ''): DomainError {
  const all = err.issues.flatMap((i) =>
    // An unknown key is named as the field it is (it was "(body): Unrecognized key: \"x\"" for a query parameter).
    i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ field: fieldName(prefix, [...i.path, k]), message: 'is not a known field' })) : [{ field: fieldName(prefix, i.path), message: i.message }]);
  // Two checks of one value that fail alike are one problem, said once.
  const details = all.filter((d, n) => all.findIndex((e) => e.field === d.field && e.message === d.message) === n);
  const shown = details.slice(0, MAX_FIELDS_IN_MESSAGE).map((d) => `${d.field}: ${d.message}`);
  if (details.length > MAX_FIELDS_IN_MESSAGE) shown.push(`… and ${details.length - MAX_FIELDS_IN_MESSAGE} more`);
  return invalidInput(shown.join('; '), details);
}

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first string (key or value, at any depth) that PostgreSQL cannot store — a NUL byte, or a lone UTF-16
 * surrogate (not encodable as UTF-8) — as invalid input naming its field; null when there is none.
 */
export function unstorableInput(value: unknown, field = ''): DomainError | null {
  // Iterative with a depth cap: a 100k-deep body must not overflow the stack (the schema refuses such nesting anyway).
  const stack: Array<[unknown, string, number]> = [[value, field, 0]];
  while (stack.length > 0) {
    const [v, f, depth] = stack.pop()!;
    const name = f || '(body)';
    if (typeof v === 'string') {
      if (NUL.test(v)) return invalidInput(`${name}: must not contain NUL bytes`, [{ field: name, message: 'must not contain NUL bytes' }]);
      if (LONE_SURROGATE.test(v)) return invalidInput(`${name}: must be valid Unicode (UTF-8)`, [{ field: name, message: 'must be valid Unicode (UTF-8)' }]);
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
