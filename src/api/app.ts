// src/api: the HTTP edge. app.ts mounts one router per resource (runs.ts; what a run holds: explore.ts, reports.ts,
// recommendations.ts; batches.ts, schedule.ts, metrics.ts); runService.ts is shared with the CLI; schemas.ts (zod)
// validates and feeds openapi.ts; errors.ts maps DomainErrors to HTTP; public/ is the dashboard. Rows come from
// src/db/repositories; no SQL here.
// The Express app: a thin layer over the run service, the database and Temporal. Built by a factory so tests,
// the CLI's local stack and the server process all mount the same app.
import { isUtf8 } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import express, { type RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import { CHECKS } from '../audit/catalogue';
import type { Config } from '../config';
import { ping } from '../db/repositories/queryable';
import type { Logger } from '../logger';
import { createBatchRouter } from './batches';
import { createExploreRouter } from './explore';
import { errorHandler, HttpError } from './errors';
import { docsPage, openApiDocument, ROUTES } from './openapi';
import { createMetricsRouter } from './metrics';
import { createReportsRouter } from './reports';
import { createRecommendationsRouter } from './recommendations';
import { createRunsRouter } from './runs';
import { createScheduleRouter } from './schedule';

export interface AppDeps {
  db: DataSource;
  client: Client;
  config: Config;
  log: Logger;
}

/** Fixed-length digest of a token, so that comparing two takes the same time whatever their lengths. */
const digest = (v: string) => createHash('sha256').update(v).digest();

function bearerAuth(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    // The scheme is case-insensitive (RFC 9110 11.1): "bearer x" is the same credential as "Bearer x".
    const m = /^bearer +(.*)$/i.exec(req.headers.authorization ?? '');
    // Digests, not the tokens, are compared: a length check first told an attacker the token's length.
    if (!m || !timingSafeEqual(digest(m[1]), expected)) {
      next(new HttpError(401, 'unauthorized', 'A valid API token is required (Authorization: Bearer <API_TOKEN>)'));
      return;
    }
    next();
  };
}

export function createApp(deps: AppDeps): express.Express {
  const { db, client, config, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, boolean> = { database: false, temporal: false };
    try {
      await ping(db);
      checks.database = true;
    } catch {}
    try {
      await client.withDeadline(Date.now() + 2_000, () => client.workflowService.getSystemInfo({}));
      checks.temporal = true;
    } catch {}
    const ok = checks.database && checks.temporal;
    res.status(ok ? 200 : 503).json({ ok, checks });
  });

  // With API_TOKEN set, everything but /healthz, /readyz and the static dashboard files needs the token: every /api
  // route and the Prometheus /metrics (scrapers send it with `authorization: { credentials: … }`).
  if (config.api.token) {
    app.use('/api', bearerAuth(config.api.token));
    app.use('/metrics', bearerAuth(config.api.token));
  }
  // A body that is not UTF-8 JSON is refused as such (415), rather than silently read as an empty object or decoded
  // from UTF-7 & co. (JSON is UTF-8, RFC 8259).
  app.use('/api', (req, _res, next) => {
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!hasBody) return next();
    const given = String(req.headers['content-type'] ?? 'none').slice(0, 100);
    if (!req.is('application/json')) {
      return next(new HttpError(415, 'unsupported_media_type', `content-type: must be application/json (got ${given})`));
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(given)?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return next(new HttpError(415, 'unsupported_media_type', `content-type: charset must be utf-8 (got ${charset})`));
    }
    next();
  });
  // A query string whose percent-encoding is not UTF-8 is refused naming the parameter (the query parser would
  // otherwise turn it into U+FFFD silently).
  app.use('/api', (req, _res, next) => {
    const q = req.url.indexOf('?');
    if (q < 0) return next();
    for (const pair of req.url.slice(q + 1).split('&')) {
      const [rawKey, ...rest] = pair.split('=');
      for (const part of [rawKey, rest.join('=')]) {
        try {
          decodeURIComponent(part.replace(/\+/g, ' '));
        } catch {
          let key = rawKey;
          try {
            key = decodeURIComponent(rawKey);
          } catch {}
          const field = key.slice(0, 100) || '(query)';
          return next(new HttpError(400, 'invalid_request', `${field}: is not valid UTF-8 (percent-encoding)`, [{ field, message: 'is not valid UTF-8 (percent-encoding)' }]));
        }
      }
    }
    next();
  });
  app.use('/api', express.json({
    limit: config.api.bodyLimit,
    strict: true,
    // JSON is UTF-8 (RFC 8259): bytes that are not are refused, not replaced with U+FFFD.
    verify: (_req, _res, buf) => {
      if (!isUtf8(buf)) throw Object.assign(new Error('body: is not valid UTF-8'), { status: 400, code: 'invalid_utf8' });
    },
  }));

  // A known path asked with a method it does not have: 405 with Allow (OPTIONS: 204 with Allow), JSON as always.
  // Ahead of the routers, so theirs is the answer for every path (an Express router would answer OPTIONS itself).
  const methodsByPath = new Map<string, Set<string>>();
  for (const r of ROUTES) methodsByPath.set(r.path, (methodsByPath.get(r.path) ?? new Set()).add(r.method.toUpperCase()));
  for (const [routePath, methods] of methodsByPath) {
    const allow = [...methods, ...(methods.has('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
    app.all(routePath, (req, res, next) => {
      if (methods.has(req.method) || (req.method === 'HEAD' && methods.has('GET'))) return next();
      if (req.method === 'OPTIONS') {
        res.set('Allow', allow).status(204).end();
        return;
      }
      next(new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here (allowed: ${allow})`, null, { Allow: allow }));
    });
  }

  // One router per resource: runs, what a run holds (explore, reports, recommendations), batches, schedule, metrics.
  app.use(createRunsRouter(deps));
  app.use(createExploreRouter({ db }));
  app.use(createReportsRouter({ db, config }));
  app.get('/api/checks', (_req, res) => void res.json({ items: CHECKS }));
  app.get('/api/openapi.json', (_req, res) => void res.json(openApiDocument()));
  app.get('/api/docs', (_req, res) => void res.type('html').send(docsPage()));
  app.use(createBatchRouter(deps));
  app.use(createRecommendationsRouter(deps));
  app.use(createScheduleRouter(deps));
  app.use(createMetricsRouter(deps));

  app.use('/', express.static(path.join(__dirname, 'public'), { index: 'index.html' }));
  // Anything else, any method (TRACE, OPTIONS…): a JSON 404, never an HTML page.
  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'No such route')));
  app.use(errorHandler(log, config.temporal.namespace));
  return app;
}
