// Request schemas (zod). The API validates with them; the OpenAPI description is generated from them too.
/* eslint-disable no-control-regex -- patterns below exclude NUL (\x00) on purpose: PostgreSQL cannot store it */
// Every constraint is a zod check that the OpenAPI generator can express (regex → `pattern`, max → `maxLength`), so a
// client generated from /api/openapi.json never sends what the API refuses; refinements stay only as safety nets.
// Patterns carry no flags (JSON Schema has none): letter classes are spelled [A-Za-z].
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { thresholdsSchema } from '../audit/thresholds';

extendZodWithOpenApi(z);

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
/** A DNS name whose last label starts with a letter (a numeric last label would be read as an IPv4 address), or IPv4. */
const HOST = `(?:(?:${LABEL}\\.)*[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?|${IPV4})`;
const PORT = '(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0))?';
/** Printable text: no C0/C1 controls, soft hyphen, zero-width, bidi or BOM characters, no lone surrogates. */
const SAFE_CHAR = '[\\x20-\\x7e\\u00a0-\\u00ac\\u00ae-\\u061b\\u061d-\\u180d\\u180f-\\u200a\\u2010-\\u2027\\u202f-\\u205f\\u2070-\\ud7ff\\ue000-\\ufefe\\uff00-\\ufff8\\ufffc-\\ufffd]';
const URL_TAIL = `(?:[/?#](?:(?! )${SAFE_CHAR})*)?`;
export const HTTP_URL_RE = new RegExp(`^[Hh][Tt][Tt][Pp][Ss]?://${HOST}${PORT}${URL_TAIL}$`);
/** A batch entry: an http(s) URL, or a host name with a dot (or IPv4), optionally with a port. */
export const DOMAIN_ENTRY_RE = new RegExp(`^(?:[Hh][Tt][Tt][Pp][Ss]?://${HOST}${PORT}${URL_TAIL}|(?:${LABEL}\\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?${PORT}|${IPV4}${PORT})$`);
const SAFE_TEXT_RE = new RegExp(`^${SAFE_CHAR}*$`);

// Each check stops the ones after it (`abort`): "/" failed the pattern and the URL parser both, and the refusal named
// the field twice; a 100 KB string is not run through the pattern at all.
const httpUrl = z
  .string({ error: 'must be a string' })
  .max(2048, { message: 'must be at most 2048 characters', abort: true })
  .regex(HTTP_URL_RE, { message: 'must be an absolute http(s) URL (host name or IPv4; printable characters)', abort: true })
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');

const int = (min: number, max: number) => z.number({ error: 'must be a number' }).int('must be an integer').min(min, `must be >= ${min}`).max(max, `must be <= ${max}`);
const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
const headerName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a header name')
  .refine((n) => !['host', 'content-length', 'transfer-encoding', 'connection', 'user-agent'].includes(n.toLowerCase()), 'cannot be set');
const headerValue = z.string().max(4000).regex(/^[^\r\n\x00]*$/, 'may not contain line breaks');
const patterns = z
  .array(z.string().min(1).max(500).regex(/^[^\x00]*\S[^\x00]*$/, 'must not be blank').openapi({ format: 'regex', description: 'JavaScript regular expression' }), { error: 'must be an array of strings' })
  .max(50, 'at most 50 patterns');

/** Client-chosen key that makes a start idempotent (it becomes part of the workflow id). */
const idempotencyKey = z
  .string({ error: 'must be a string' })
  .min(1, { message: 'must not be empty', abort: true })
  .max(200, { message: 'must be at most 200 characters', abort: true })
  .regex(/^[A-Za-z0-9._~-]+$/, 'may contain only letters, digits, ".", "_", "~" and "-"');

export const runOptionsSchema = z
  .object({
    maxPages: int(1, 100_000),
    maxDepth: int(0, 100),
    include: patterns,
    exclude: patterns,
    respectRobots: z.boolean({ error: 'must be a boolean' }),
    useSitemaps: z.boolean({ error: 'must be a boolean' }),
    sitemaps: z.array(httpUrl).max(20, 'at most 20 sitemaps'),
    followLinks: z.boolean({ error: 'must be a boolean' }),
    subdomainsInternal: z.boolean({ error: 'must be a boolean' }),
    auditBatchSize: int(1, 200),
    parallelBatches: int(1, 32),
    persistBatchSize: int(1, 500),
    perHostConcurrency: int(1, 32),
    requestTimeoutMs: int(100, 120_000),
    fetchRetries: int(0, 5),
    fetchRetryBaseMs: int(1, 60_000),
    userAgent: z.string().min(1).max(300).regex(SAFE_TEXT_RE, 'must not contain control, invisible or bidirectional-override characters'),
    crawlDelayMs: int(0, 60_000),
    followNofollow: z.boolean({ error: 'must be a boolean' }),
    checkExternalLinks: z.boolean({ error: 'must be a boolean' }),
    checkImageSizes: z.boolean({ error: 'must be a boolean' }),
    stripParams: z.array(z.string().min(1).max(100).regex(/^[^&=#\s\x00]+$/, 'must be a query parameter name'), { error: 'must be an array of strings' }).max(50, 'at most 50 parameters'),
    // Credentials: sealed (AES-256-GCM, SECRETS_KEY) before the workflow starts; never stored or logged in plain text.
    auth: z.object({ username: z.string().min(1).max(200), password: z.string().max(500) }).strict(),
    // Key constraints as `propertyNames` (the generator drops a record's key schema), so generated clients know them.
    headers: z.record(headerName, headerValue).refine((h) => Object.keys(h).length <= 30, 'at most 30 headers')
      .openapi({ maxProperties: 30, propertyNames: { type: 'string', minLength: 1, maxLength: 100, pattern: HEADER_NAME_PATTERN, not: { pattern: '^(?:[Hh][Oo][Ss][Tt]|[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee][Nn][Gg][Tt][Hh]|[Tt][Rr][Aa][Nn][Ss][Ff][Ee][Rr]-[Ee][Nn][Cc][Oo][Dd][Ii][Nn][Gg]|[Cc][Oo][Nn][Nn][Ee][Cc][Tt][Ii][Oo][Nn]|[Uu][Ss][Ee][Rr]-[Aa][Gg][Ee][Nn][Tt])$' } } } as never),
    cookies: z.record(z.string().min(1).max(200).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a cookie name'), z.string().max(4000).regex(/^[^;\r\n\x00]*$/, 'may not contain ";" or line breaks'))
      .refine((c) => Object.keys(c).length <= 50, 'at most 50 cookies')
      .openapi({ maxProperties: 50, propertyNames: { type: 'string', minLength: 1, maxLength: 200, pattern: HEADER_NAME_PATTERN } } as never),
    thresholds: thresholdsSchema,
    /** "chromium": pages are rendered in headless Chromium and checked on the rendered DOM (default "none"). */
    render: z.enum(['none', 'chromium'], { error: 'must be "none" or "chromium"' }),
  })
  .partial()
  .strict();

export const startRunSchema = z
  .object({
    url: httpUrl,
    idempotencyKey: idempotencyKey.optional(),
    /** Run again under the same idempotencyKey after the previous run closed: same rows, updated in place. */
    rerun: z.boolean({ error: 'must be a boolean' }).optional(),
    options: runOptionsSchema.optional(),
  })
  .strict();

export type StartRunBody = z.infer<typeof startRunSchema>;
export type ListRunsQuery = z.infer<typeof listRunsQuerySchema>;

export const runIdParamSchema = z.object({
  id: z.string().min(1).max(300).regex(/^[A-Za-z0-9:._~-]+$/, 'is not a valid run id'),
});

/** An opaque pagination cursor (a row id): at most 18 digits, so it always fits PostgreSQL's bigint. */
export const cursorSchema = z.string().regex(/^[0-9]{1,18}$/, 'is not a valid cursor (1 to 18 digits)');

/**
 * A whole-number query parameter: decimal digits only. z.coerce.number() took '' and ' ' as 0 (a statusCode filter on
 * nothing matched no page, silently) and '0x1F4', '2e2' or '\n3' as numbers. Numbers pass as they are (the CLI's own
 * flags are parsed already).
 */
export function queryInt(min: number, max: number) {
  const digits = z.string().regex(/^[0-9]{1,15}$/).transform(Number);
  return z
    .union([z.number(), digits], { error: 'must be a whole number (decimal digits)' })
    .pipe(z.number().int('must be a whole number').min(min, `must be >= ${min}`).max(max, `must be <= ${max}`))
    .openapi({ type: 'integer', minimum: min, maximum: max });
}

export const PAGE_SORTS = ['id', 'url', 'statusCode', 'indexable', 'title', 'description', 'h1', 'wordCount', 'depth', 'responseTime', 'ttfb', 'bytes', 'findings'] as const;
export type PageSort = (typeof PAGE_SORTS)[number];
const checkCode = z.string().regex(/^[a-z0-9_]+$/, 'is not an issue code').max(100);

export const listPagesQuerySchema = z
  .object({
    status: z.enum(['ok', 'failed']).optional(),
    code: checkCode.optional(),
    severity: z.enum(['critical', 'warning', 'notice']).optional().openapi({ description: 'Pages with at least one page finding of this severity' }),
    statusCode: queryInt(0, 999).optional(),
    statusClass: z.enum(['2xx', '3xx', '4xx', '5xx', 'none']).optional().openapi({ description: 'HTTP status class; none = no response' }),
    indexable: z.enum(['true', 'false']).optional(),
    q: z.string().min(1).max(200).regex(/^[^\x00]*$/, 'must not contain NUL bytes').optional().openapi({ description: 'Case-insensitive text search in the URL and the title' }),
    sort: z.enum(PAGE_SORTS).default('id').openapi({ description: 'Sort column (responseTime = total fetch duration in ms; findings = number of page findings)' }),
    order: z.enum(['asc', 'desc']).default('asc'),
    limit: queryInt(1, 500).default(50),
    cursor: cursorSchema.optional().openapi({ description: 'Opaque: the nextCursor of the previous page, with the same sort and filters' }),
  })
  .strict();
export type ListPagesQuery = z.infer<typeof listPagesQuerySchema>;

/** A page of a run, by its URL as the pages list gives it. */
const pageUrl = z.string({ error: 'must be a string' }).min(1, { message: 'must not be empty', abort: true }).max(2048, { message: 'must be at most 2048 characters', abort: true })
  .regex(HTTP_URL_RE, 'must be an absolute http(s) URL (host name or IPv4; printable characters)');

export const pageQuerySchema = z.object({ url: pageUrl }).strict();

export const linksQuerySchema = z
  .object({
    url: pageUrl,
    direction: z.enum(['in', 'out']).default('in').openapi({ description: 'in: pages linking to url; out: links found on url' }),
    limit: queryInt(1, 500).default(50),
    cursor: z.string().regex(/^[0-9a-f]{1,64}$/, 'is not a valid cursor (1 to 64 hex digits)').optional().openapi({ description: 'Opaque: the nextCursor of the previous page' }),
  })
  .strict();

export const historyQuerySchema = z
  .object({ limit: queryInt(1, 50).default(20) })
  .strict();

export const listRunsQuerySchema = z
  .object({
    status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']).optional(),
    /** Site host as stored (lower-case, with a non-default port). */
    site: z.string().max(300).regex(/^[A-Za-z0-9._~:[\]-]*$/, 'is not a host name').optional(),
    limit: queryInt(1, 200).default(50),
  })
  .strict();

// Batches of domains. Each entry is an http(s) URL (ports allowed) or a bare host name (→ https://host/).
const HOST_RE = /^(?=.{1,253}(?::\d{1,5})?$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?$/i;
export function isDomainEntry(v: string): boolean {
  const s = v.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
    } catch {
      return false;
    }
  }
  return HOST_RE.test(s) && s.includes('.');
}

export const startBatchSchema = z
  .object({
    domains: z
      .array(
        z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(2048, 'must be at most 2048 characters')
          .regex(DOMAIN_ENTRY_RE, { message: 'must be an http(s) URL or a host name', abort: true })
          .refine(isDomainEntry, 'must be an http(s) URL or a host name'),
        { error: 'must be an array of domains' },
      )
      .min(1, 'must contain at least 1 domain')
      .max(1000, 'must contain at most 1000 domains'),
    idempotencyKey: idempotencyKey.optional(),
    options: runOptionsSchema.optional(),
    maxConcurrentSites: int(1, 50).optional(),
    /** Free-form labels kept with the batch (e.g. a client or ticket reference). */
    metadata: z.record(z.string().max(100), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])).optional()
      .refine((m) => m === undefined || Object.keys(m).length <= 20, 'at most 20 keys')
      .openapi({
        maxProperties: 20,
        propertyNames: { type: 'string', maxLength: 100, pattern: '^[^\\x00]*$' },
        additionalProperties: { nullable: true, anyOf: [{ type: 'string', maxLength: 500, pattern: '^[^\\x00]*$' }, { type: 'number' }, { type: 'boolean' }] },
      } as never),
  })
  .strict();

export type StartBatchBody = z.infer<typeof startBatchSchema>;

export const batchIdParamSchema = z.object({
  id: z.string().min(1).max(300).regex(/^[A-Za-z0-9:._~-]+$/, 'is not a valid batch id'),
});

export const listBatchesQuerySchema = z
  .object({
    status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']).optional(),
    limit: queryInt(1, 200).default(50),
  })
  .strict();

export const retryRunSchema = z
  .object({
    /** Key of the new run (a double submit of the retry then starts one run); generated when absent. */
    idempotencyKey: idempotencyKey.optional(),
  })
  .strict();
