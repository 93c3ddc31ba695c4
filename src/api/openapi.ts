// The OpenAPI 3 description of the whole API, generated from the same zod schemas that validate requests
// (no second hand-kept copy). Served at /api/openapi.json, with a browsable page at /api/docs.
import { OpenAPIRegistry, OpenApiGeneratorV31, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { compareQuerySchema, exportQuerySchema, reportQuerySchema } from './reports';
import { listRecommendationsQuerySchema, RECOMMENDATION_EXAMPLE, startRecommendationsSchema } from './recommendations';
import { putScheduleSchema, SCHEDULE_EXAMPLE } from './schedule';
import {
  batchIdParamSchema,
  historyQuerySchema,
  linksQuerySchema,
  listBatchesQuerySchema,
  listPagesQuerySchema,
  listRunsQuerySchema,
  pageQuerySchema,
  retryRunSchema,
  runIdParamSchema,
  startBatchSchema,
  startRunSchema,
} from './schemas';

extendZodWithOpenApi(z);

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().nullable() }),
});

const json = (description: string, schema: z.ZodType = z.record(z.string(), z.unknown())) => ({
  description,
  content: { 'application/json': { schema } },
});
const error = (description: string) => json(description, errorSchema);
const AUTH = { 401: error('API_TOKEN is set and the request has no valid bearer token') };
/** Every route that reads PostgreSQL or calls Temporal: a real outage answers 503 with Retry-After, never a 500. */
const OUTAGE = {
  503: {
    description: 'PostgreSQL or Temporal is unreachable; retry after the Retry-After seconds',
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } } },
    content: { 'application/json': { schema: errorSchema } },
  },
};
const BODY = { 400: error('Invalid body; the message names each field'), 413: error('Body too large'), 415: error('Body is not UTF-8 JSON') };
/**
 * Every /api route reads a request body if one is sent (src/api/app.ts: one JSON parser for all of them), so any of
 * them can refuse one, those without a body of their own too (a GET with a body, a cancel with a text/plain one).
 */
const ANY_BODY = { 400: error('Malformed JSON body'), 413: BODY[413], 415: error('A body was sent that is not UTF-8 JSON') };
const BLOCKED = { 403: error('A target (url, domains[i], options.sitemaps[i]) is refused by the target policy (private, loopback or link-local address); the message names it') };

/** Request examples: the OpenAPI test validates each against its zod schema. */
export const EXAMPLES = {
  startRun: { url: 'https://example.com/', idempotencyKey: 'nightly-2026-11-23', options: { maxPages: 200, maxDepth: 5, respectRobots: true } },
  startBatch: { domains: ['https://example.com/', 'example.org'], idempotencyKey: 'agency-batch-1', maxConcurrentSites: 3, options: { maxPages: 50 } },
  retry: { idempotencyKey: 'retry-1' },
} as const;

export interface RouteDoc {
  method: 'get' | 'post' | 'put';
  /** Express path (`/api/runs/:id`). */
  path: string;
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; example: unknown };
  responses: Record<number, { description: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
  public?: boolean;
  /** Reads PostgreSQL or calls Temporal (so it can answer 503). */
  outage?: boolean;
}

const runNotFound = { 404: error('No run with that id'), 400: error('Malformed id or query; the message names the field') };
const batchNotFound = { 404: error('No batch with that id'), 400: error('Malformed id; the message names the field') };

export const ROUTES: RouteDoc[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness', responses: { 200: json('The process is up') }, public: true },
  { method: 'get', path: '/readyz', summary: 'Readiness of PostgreSQL and Temporal', responses: { 200: json('Ready'), 503: json('Not ready: which dependency is down') }, public: true },
  {
    method: 'post', path: '/api/runs', summary: 'Start (or return) a site audit run',
    body: { schema: startRunSchema, example: EXAMPLES.startRun },
    responses: { 202: json('Run started'), 200: json('A run with this idempotencyKey exists: returned as is'), ...BODY, ...BLOCKED },
  },
  { method: 'get', path: '/api/runs', summary: 'Recent runs, filterable by status and site', query: listRunsQuerySchema, responses: { 200: json('Runs, newest first'), 400: error('Invalid query') } },
  { method: 'get', path: '/api/runs/:id', summary: 'A run: live progress while running, the database after', params: runIdParamSchema, responses: { 200: json('The run, with `recommendations`: its newest AI recommendations job `{ jobId, status }` or null (while PostgreSQL is unreachable, a running run answers from its workflow with `database: "unreachable"` and a `note`)'), ...runNotFound } },
  { method: 'get', path: '/api/runs/:id/pages', summary: 'Audited pages: sortable by any column, filterable, keyset-paginated (nextCursor)', params: runIdParamSchema, query: listPagesQuerySchema, responses: { 200: json('items, nextCursor (null on the last page), total (first page only), sort, order'), ...runNotFound } },
  { method: 'get', path: '/api/runs/:id/page', summary: 'One page of a run: its row, page and site findings with explanations, redirect chain, canonical, hreflang, link counts, AI suggestion', params: runIdParamSchema, query: pageQuerySchema, responses: { 200: json('The page'), 404: error('No run with that id, or no such page in it'), 400: runNotFound[400] } },
  { method: 'get', path: '/api/runs/:id/links', summary: 'Inlinks (pages linking to url, anchor text, nofollow) or outlinks of one URL, keyset-paginated', params: runIdParamSchema, query: linksQuerySchema, responses: { 200: json('items, nextCursor'), ...runNotFound } },
  { method: 'get', path: '/api/runs/:id/history', summary: "The site's completed runs, oldest first, with health score and finding counts by severity", params: runIdParamSchema, query: historyQuerySchema, responses: { 200: json('siteHost, items'), ...runNotFound } },
  { method: 'get', path: '/api/runs/:id/report', summary: 'Findings by category and severity, with explanations, scores and affected pages', params: runIdParamSchema, query: reportQuerySchema, responses: { 200: json('The report'), ...runNotFound } },
  { method: 'get', path: '/api/runs/:id/report.html', summary: 'The report as one self-contained HTML file (inline CSS and SVG charts; opens offline)', params: runIdParamSchema, responses: { 200: { description: 'HTML report', content: { 'text/html': { schema: z.string() } } }, ...runNotFound } },
  {
    method: 'get', path: '/api/runs/:id/export', summary: 'Streams pages, issues or links as CSV or JSON', params: runIdParamSchema, query: exportQuerySchema,
    responses: { 200: { description: 'The export', content: { 'text/csv': { schema: z.string() }, 'application/json': { schema: z.array(z.record(z.string(), z.unknown())) } } }, ...runNotFound },
  },
  { method: 'get', path: '/api/runs/:id/compare', summary: 'New, fixed and persisting findings against another run (or the previous one of the site)', params: runIdParamSchema, query: compareQuerySchema, responses: { 200: json('The comparison'), ...runNotFound } },
  { method: 'post', path: '/api/runs/:id/cancel', summary: 'Cancel a running run (Temporal cancellation)', params: runIdParamSchema, responses: { 202: json('Cancellation requested'), 409: error('The run is not running'), ...runNotFound } },
  { method: 'post', path: '/api/runs/:id/pause', summary: 'Pause a running run (signal)', params: runIdParamSchema, responses: { 202: json('Pause requested'), 409: error('The run is not running'), ...runNotFound } },
  { method: 'post', path: '/api/runs/:id/resume', summary: 'Resume a paused run (signal)', params: runIdParamSchema, responses: { 202: json('Resume requested'), 409: error('The run is not running'), ...runNotFound } },
  {
    method: 'post', path: '/api/runs/:id/retry', summary: 'Start a new run of the same site with the same options', params: runIdParamSchema,
    body: { schema: retryRunSchema, example: EXAMPLES.retry }, responses: { 202: json('New run started'), 200: json('The retry with this key exists'), ...runNotFound, ...BODY, ...BLOCKED, 409: error('The run is still running (cancel it first)') },
  },
  {
    method: 'post', path: '/api/runs/:id/recommendations', summary: 'AI recommendations for the pages with findings, through the provider batch API (dryRun: count and cost only)', params: runIdParamSchema,
    body: { schema: startRecommendationsSchema, example: RECOMMENDATION_EXAMPLE },
    responses: { 202: json('Job started'), 200: json('Dry run: pages, estimated tokens and cost'), ...runNotFound, ...BODY, 409: error('The run is not completed') },
  },
  { method: 'get', path: '/api/runs/:id/recommendations', summary: 'The latest (or given) recommendations job: state, counts, per-page suggestions, cursor-paginated', params: runIdParamSchema, query: listRecommendationsQuerySchema, responses: { 200: json('The job and a page of suggestions'), 404: error('No run, or no job for it'), 400: runNotFound[400] } },
  { method: 'post', path: '/api/runs/:id/recommendations/cancel', summary: 'Cancel the running recommendations job (cancels the provider batch)', params: runIdParamSchema, responses: { 202: json('Cancellation requested'), 409: error('The job is not running'), 404: error('No run, or no job for it'), 400: runNotFound[400] } },
  {
    method: 'put', path: '/api/schedule', summary: 'Create or replace the nightly Temporal Schedule: audit the sites as a batch, then AI recommendations for each finished run',
    body: { schema: putScheduleSchema, example: SCHEDULE_EXAMPLE },
    responses: {
      201: json('Schedule created'), 200: json('Schedule existed: replaced by this body'),
      400: error('Invalid body, or no API key for the model (the message names the variable)'), 413: BODY[413], 415: BODY[415], ...BLOCKED,
    },
  },
  { method: 'get', path: '/api/schedule', summary: 'The nightly schedule: sites, cron, model, next and recent actions', responses: { 200: json('The schedule'), 404: error('No nightly schedule yet (PUT /api/schedule creates it)') } },
  { method: 'get', path: '/api/checks', summary: 'The check catalogue: codes, severities, explanations, thresholds', responses: { 200: json('Every check') } },
  {
    method: 'post', path: '/api/batches', summary: 'Audit many domains: one parent workflow, one child run per domain',
    body: { schema: startBatchSchema, example: EXAMPLES.startBatch },
    responses: { 202: json('Batch started'), 200: json('A batch with this idempotencyKey exists'), ...BODY, ...BLOCKED },
  },
  { method: 'get', path: '/api/batches', summary: 'Recent batches', query: listBatchesQuerySchema, responses: { 200: json('Batches, newest first'), 400: error('Invalid query') } },
  { method: 'get', path: '/api/batches/:id', summary: 'A batch with a status per domain', params: batchIdParamSchema, responses: { 200: json('The batch'), ...batchNotFound } },
  { method: 'post', path: '/api/batches/:id/cancel', summary: 'Cancel a batch and its running children', params: batchIdParamSchema, responses: { 202: json('Cancellation requested'), 409: error('The batch is not running'), ...batchNotFound } },
  { method: 'get', path: '/api/metrics', summary: 'Job metrics computed from the database', responses: { 200: json('totalJobs, queuedJobs, processingJobs, completedJobs, failedJobs, throughputPerMinute, errorRate, averageProcessingTime') } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } } },
  { method: 'get', path: '/api/openapi.json', summary: 'This description', responses: { 200: json('OpenAPI 3 document') } },
  { method: 'get', path: '/api/docs', summary: 'Browsable API reference', responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } } },
];

/** Routes that touch neither PostgreSQL nor Temporal. */
const NO_OUTAGE = new Set(['/healthz', '/readyz', '/api/checks', '/api/openapi.json', '/api/docs']);

export const toOpenApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

let cached: ReturnType<OpenApiGeneratorV31['generateDocument']> | null = null;

export function openApiDocument() {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'API_TOKEN, when the server has one' });
  for (const r of ROUTES) {
    registry.registerPath({
      method: r.method,
      path: toOpenApiPath(r.path),
      summary: r.summary,
      ...(r.public ? {} : { security: [{ bearer: [] }] }),
      request: {
        ...(r.params ? { params: r.params } : {}),
        ...(r.query ? { query: r.query } : {}),
        ...(r.body ? { body: { required: true, content: { 'application/json': { schema: r.body.schema, example: r.body.example } } } } : {}),
      },
      responses: { ...(r.path.startsWith('/api/') ? ANY_BODY : {}), ...r.responses, ...(r.public ? {} : AUTH), ...(NO_OUTAGE.has(r.path) ? {} : OUTAGE) } as never,
    });
  }
  cached = noNulStrings(new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Sitesweep API', version: '0.1.0', description: 'Durable full-site SEO audits on Temporal. Errors are `{ error: { code, message, details } }`.' },
  }));
  return cached;
}

/**
 * PostgreSQL cannot store a NUL byte in text or jsonb, so the API refuses it in every string (400 naming the field);
 * the description says so for each free-form string (those without a pattern of their own; every pattern excludes it).
 */
function noNulStrings<T>(doc: T): T {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.type === 'string' && o.pattern === undefined && o.enum === undefined && o.format === undefined) o.pattern = '^[^\\x00]*$';
    for (const [k, v] of Object.entries(o)) if (k !== 'example' && k !== 'examples') walk(v);
  };
  // Requests only: responses may echo what was refused (an error message naming a field with a NUL in it).
  for (const item of Object.values((doc as any).paths ?? {})) {
    for (const op of Object.values(item as Record<string, any>)) {
      if (!op || typeof op !== 'object') continue;
      walk(op.parameters);
      walk(op.requestBody);
    }
  }
  return doc;
}

/** A dependency-free reference page rendered from the document itself. */
export function docsPage(): string {
  const doc = openApiDocument();
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const rows = Object.entries(doc.paths ?? {}).flatMap(([p, ops]) =>
    Object.entries(ops as Record<string, any>).map(([m, op]) => {
      const params = (op.parameters ?? []).map((x: any) => `<code>${esc(x.in)}:${esc(x.name)}</code>`).join(' ');
      const body = op.requestBody ? `<pre>${esc(JSON.stringify(op.requestBody.content['application/json'].example, null, 2))}</pre>` : '';
      const codes = Object.keys(op.responses ?? {}).map((c) => `<code>${c}</code>`).join(' ');
      return `<section><h2><span class="m ${m}">${m.toUpperCase()}</span> ${esc(p)}</h2><p>${esc(op.summary ?? '')}</p><p>${params}</p>${body}<p>Responses: ${codes}</p></section>`;
    }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sitesweep API reference</title><style>body{font:15px/1.5 system-ui,sans-serif;max-width:900px;margin:2rem auto;padding:0 1rem;color:#1f2937}
section{border-top:1px solid #e5e7eb;padding:.5rem 0}h2{font-size:1rem}.m{display:inline-block;min-width:3.5rem;font-weight:700}.get{color:#047857}.post{color:#1d4ed8}.put{color:#b45309}
pre{background:#f3f4f6;padding:.5rem;overflow:auto}</style></head><body><h1>Sitesweep API reference</h1>
<p>Generated from the request schemas; machine-readable at <a href="/api/openapi.json">/api/openapi.json</a>.</p>${rows.join('\n')}</body></html>`;
}
