// AI recommendations of a run: start a job (or a dry run: page count, tokens, cost, no provider call), read it with
// per-page suggestions (cursor-paginated), cancel it. The keys stay with the worker; the API only checks one is set.
import { randomUUID } from 'node:crypto';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import express from 'express';
import { z } from 'zod';
import { collectPages, estimate } from '../ai/collect';
import { estimateCostUsd, MODEL_PREFIXES, routeModel } from '../ai/providers';
import { aiJobWorkflowId, type AiJobInput, type AiJobResult } from '../workflows/aiContracts';
import { AiJobStatusKey } from '../workflows/searchAttributes';
import type { AppDeps } from './app';
import { HttpError, parseOr400 } from './errors';
import * as aiJobs from '../db/repositories/aiJobs';
import { completedResult, workflowClose } from '../temporal/closedExecution';
import { findRunRow } from './runService';
import { queryInt, runIdParamSchema } from './schemas';

extendZodWithOpenApi(z);

const code = z.string().min(1).max(100).regex(/^[a-z0-9_]+$/, 'is not a check code');
export const startRecommendationsSchema = z.object({
  // The routing prefixes are in the pattern itself, so the OpenAPI description says exactly which names are accepted.
  model: z.string({ error: 'is required' }).min(1).max(100)
    .regex(new RegExp(`^(?:${MODEL_PREFIXES.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})[A-Za-z0-9._:-]*$`), `must start with ${MODEL_PREFIXES.join(' or ')} (then letters, digits, ".", "_", ":" or "-")`)
    .refine((m) => routeModel(m) !== null, `must start with ${MODEL_PREFIXES.join(' or ')}`)
    .openapi({ description: `Routed by prefix: ${MODEL_PREFIXES.join(', ')}`, example: 'claude-haiku-4-5' }),
  severities: z.array(z.enum(['critical', 'warning', 'notice'])).max(3).optional(),
  codes: z.array(code).max(100).optional(),
  maxPages: z.number().int().min(1).max(100_000).optional(),
  dryRun: z.boolean().optional(),
}).strict();

export const listRecommendationsQuerySchema = z.object({
  jobId: z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/).optional(),
  cursor: z.string().regex(/^[0-9]{1,18}$/, 'is not a cursor').optional(),
  limit: queryInt(1, 500).default(100),
});

const TERMINAL = ['completed', 'failed', 'cancelled'];

export const RECOMMENDATION_EXAMPLE = { model: 'claude-haiku-4-5', severities: ['critical', 'warning'], maxPages: 500 };

export function createRecommendationsRouter({ db, client, config, log }: AppDeps): express.Router {
  const router = express.Router();
  const runParam = (req: express.Request) => parseOr400(runIdParamSchema, req.params).id;
  const latestJob = async (runId: string, jobId?: string) => {
    const row = await aiJobs.latestAiJobOfRun(db, runId, jobId);
    if (!row) throw new HttpError(404, 'not_found', `no recommendations job for run ${runId}`);
    if (TERMINAL.includes(row.status)) return row;
    // An open job whose workflow has closed (job workflow ids are never reused) ends the way the workflow did: a
    // finished one with the status its result says, or cancelled as its code ended it (its closer writes the same),
    // one terminated or timed out in Temporal failed with the reason.
    const closed = await workflowClose(client, row.workflow_id, 'only').catch(() => null);
    if (!closed) return row;
    if (closed.status !== 'completed') {
      await aiJobs.markJobClosedOutside(db, row.id, closed);
    } else {
      if (!row.completed_at) return row;
      const result = await completedResult<AiJobResult>(client, row.workflow_id);
      if (!result) return row;
      await aiJobs.markJobFinal(db, row.id, result.status);
    }
    // Read again whether or not this wrote: the job's closer may have written the same a moment before.
    return (await aiJobs.latestAiJobOfRun(db, runId, row.id)) ?? row;
  };

  router.post('/api/runs/:id/recommendations', async (req, res) => {
    const id = runParam(req);
    // The run first: an unknown run is a 404 whatever the body says (as every /api/runs/:id route answers).
    const run = await findRunRow(db, id);
    const body = parseOr400(startRecommendationsSchema, req.body ?? {});
    const route = routeModel(body.model)!;
    if (run.status !== 'completed') throw new HttpError(409, 'run_not_finished', `run is ${run.status}; recommendations need a completed run`);
    if (body.dryRun) {
      const pages = await collectPages(db, run.id, body);
      const est = estimate(pages);
      res.json({
        dryRun: true, runId: run.id, model: body.model, provider: route.provider, pages: pages.length,
        estimatedInputTokens: est.inputTokens, estimatedOutputTokens: est.outputTokens,
        estimatedCostUsd: estimateCostUsd(body.model, est.inputTokens, est.outputTokens), batchDiscount: 0.5,
      });
      return;
    }
    if (!config.ai[route.provider].apiKey) {
      throw new HttpError(400, 'missing_api_key', `model: ${route.keyVar} is not set, so ${body.model} cannot be used`, [{ field: 'model', message: `${route.keyVar} is not set` }]);
    }
    const jobId = randomUUID();
    const input: AiJobInput = {
      jobId, runId: run.id, model: body.model, ...(body.severities ? { severities: body.severities } : {}), ...(body.codes ? { codes: body.codes } : {}),
      ...(body.maxPages ? { maxPages: body.maxPages } : {}),
      pollIntervalMs: config.ai.pollIntervalMs, pollMaxIntervalMs: config.ai.pollMaxIntervalMs, pollMaxMs: config.ai.pollMaxMs,
    };
    await aiJobs.insertAiJob(db, {
      jobId, workflowId: aiJobWorkflowId(jobId), runId: run.id, model: body.model, provider: route.provider,
      options: { severities: body.severities ?? null, codes: body.codes ?? null, maxPages: body.maxPages ?? null },
    });
    await client.workflow.start('aiRecommendationsWorkflow', {
      taskQueue: config.temporal.taskQueue, workflowId: aiJobWorkflowId(jobId), args: [input],
      typedSearchAttributes: [{ key: AiJobStatusKey, value: 'collecting' }],
    });
    log.info({ runId: run.id, jobId, model: body.model }, 'recommendations requested');
    res.status(202).json({ jobId, runId: run.id, workflowId: aiJobWorkflowId(jobId), model: body.model, provider: route.provider, status: 'collecting' });
  });

  router.get('/api/runs/:id/recommendations', async (req, res) => {
    const id = runParam(req);
    const q = parseOr400(listRecommendationsQuerySchema, req.query);
    const run = await findRunRow(db, id);
    const job = await latestJob(run.id, q.jobId);
    // The page's findings ride along, so a client shows each suggestion beside what it fixes.
    const items = await aiJobs.jobItems(db, job.id, q.cursor ?? null, q.limit + 1);
    const batches = await aiJobs.jobParts(db, job.id);
    res.json({
      jobId: job.id, runId: run.id, workflowId: job.workflow_id, model: job.model, provider: job.provider, status: job.status,
      providerBatchId: job.provider_batch_id, error: job.metadata?.error ?? null,
      providerBatches: batches.map((b) => ({ part: b.part, providerBatchId: b.provider_batch_id, requests: b.request_count, state: b.state, submittedAt: b.submitted_at, endedAt: b.ended_at })),
      counts: { total: job.total_pages, succeeded: job.succeeded, errored: job.errored, expired: job.expired, canceled: job.canceled },
      usage: { inputTokens: Number(job.input_tokens), outputTokens: Number(job.output_tokens), estimatedCostUsd: job.estimated_cost_usd },
      submittedAt: job.submitted_at, completedAt: job.completed_at, createdAt: job.created_at,
      items: items.slice(0, q.limit).map((i) => ({
        customId: i.custom_id, url: i.url, status: i.status, suggestion: i.result, error: i.error,
        findings: (i.issues ?? []).map((f) => ({ code: f.code, severity: f.severity, ...(f.detail ? { detail: f.detail } : {}) })),
      })),
      nextCursor: items.length > q.limit ? String(items[q.limit - 1].id) : null,
    });
  });

  router.post('/api/runs/:id/recommendations/cancel', async (req, res) => {
    const id = runParam(req);
    const run = await findRunRow(db, id);
    const job = await latestJob(run.id);
    if (TERMINAL.includes(job.status)) throw new HttpError(409, 'not_running', `recommendations job is ${job.status}`);
    await client.workflow.getHandle(job.workflow_id).cancel();
    res.status(202).json({ jobId: job.id, runId: run.id, workflowId: job.workflow_id, status: 'cancelling' });
  });

  return router;
}
