// The nightly schedule over HTTP: PUT creates or replaces it (idempotent: the same body twice leaves one schedule with
// that body), GET reads it back with its next and recent actions. The Temporal Schedule itself is the state; inspect
// it with `temporal schedule describe --schedule-id <scheduleId>` and fire it with `temporal schedule trigger`.
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import express from 'express';
import { z } from 'zod';
import { routeModel } from '../ai/providers';
import { describeNightlySchedule, normalizeSites, upsertNightlySchedule } from '../ai/schedule';
import type { AppDeps } from './app';
import { HttpError, notFound, parseOr400 } from './errors';
import { startRecommendationsSchema } from './recommendations';
import { assertAllowedTargets } from './runService';
import { startBatchSchema } from './schemas';

extendZodWithOpenApi(z);

// Five fields (minute hour day-of-month month day-of-week), each `*`, `*/step` or a list of values in range: exactly
// what the Temporal server accepts (it refuses out-of-range values, a zero step and reversed ranges, so ranges are
// written as lists), so a body that matches the pattern is never refused by Temporal afterwards.
const STEP = '[1-9][0-9]?';
const field = (value: string) => `(?:\\*(?:/${STEP})?|${value}(?:,${value}){0,59})`;
export const CRON_RE = new RegExp(
  `^${[
    '[0-5]?[0-9]', // minute
    '(?:[01]?[0-9]|2[0-3])', // hour
    '(?:0?[1-9]|[12][0-9]|3[01])', // day of month
    '(?:0?[1-9]|1[0-2])', // month
    '[0-7]', // day of week (0 and 7: Sunday)
  ].map(field).join(' ')}$`,
);

export const putScheduleSchema = z
  .object({
    sites: z.array(startBatchSchema.shape.domains.element, { error: 'must be an array of sites' }).min(1, 'must contain at least 1 site').max(100, 'must contain at most 100 sites'),
    cron: z.string({ error: 'must be a string' }).max(200).regex(CRON_RE, 'must be five cron fields (minute hour day month weekday), each *, */step or a list of numbers')
      .optional().openapi({ description: 'Default NIGHTLY_CRON (0 2 * * *), in UTC', example: '0 2 * * *' }),
    model: startRecommendationsSchema.shape.model.optional(),
    // Only a page cap, not every run option: a nightly audit of known sites needs little more, and credentials never
    // have to live in a schedule's arguments.
    maxPages: z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be >= 1').max(100_000, 'must be <= 100000').optional()
      .openapi({ description: 'Page cap of each site audit (default: the run default)' }),
  })
  .strict();

export const SCHEDULE_EXAMPLE = { sites: ['https://example.com/', 'example.org'], cron: '30 2 * * *', model: 'claude-haiku-4-5', maxPages: 200 };

export function createScheduleRouter({ client, config, log }: AppDeps): express.Router {
  const router = express.Router();

  router.put('/api/schedule', async (req, res) => {
    const body = parseOr400(putScheduleSchema, req.body ?? {});
    const model = body.model ?? config.ai.nightly.model;
    const route = routeModel(model);
    if (!route) throw new HttpError(400, 'invalid_request', `model: unknown model ${model}`, [{ field: 'model', message: 'unknown model' }]);
    // No key, no call: the night's recommendations would all fail, so the schedule is refused now, naming the variable.
    if (!config.ai[route.provider].apiKey) {
      throw new HttpError(400, 'missing_api_key', `model: ${route.keyVar} is not set, so ${model} cannot be used`, [{ field: 'model', message: `${route.keyVar} is not set` }]);
    }
    let sites: string[];
    try {
      sites = normalizeSites(body.sites);
    } catch (err) {
      const [f, ...rest] = (err as Error).message.split(': ');
      throw new HttpError(400, 'invalid_request', (err as Error).message, [{ field: f, message: rest.join(': ') }]);
    }
    await assertAllowedTargets(config, sites.map((url, i) => ({ url, field: `sites[${i}]` })));
    const cron = body.cron ?? config.ai.nightly.cron;
    const options = body.maxPages ? { maxPages: body.maxPages } : {};
    const r = await upsertNightlySchedule(client, config, { sites, model, options, cron });
    log.info({ scheduleId: r.scheduleId, created: r.created, sites: sites.length }, 'nightly schedule upserted');
    // What was stored (GET adds the next and recent actions: one round trip less here).
    res.status(r.created ? 201 : 200).json({ scheduleId: r.scheduleId, created: r.created, sites, cron, model, options, taskQueue: config.temporal.taskQueue });
  });

  router.get('/api/schedule', async (_req, res) => {
    const view = await describeNightlySchedule(client, config);
    if (!view) throw notFound('nightly schedule');
    res.json(view);
  });

  return router;
}
