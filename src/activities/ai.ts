// AI recommendation jobs: the ai_batch_jobs row (lifecycle, counts, cost) and the provider calls.
// Keys stay in this process (config → provider client); workflow inputs, history and rows never carry them.
// Provider errors become ApplicationFailures: retryable ones (429 with retry-after, 5xx, 529, lost connections) are
// retried by the activity's policy, the others (400/401/403/404/413, a missing key) fail the job with their message.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { collectPages, estimate } from '../ai/collect';
import { parseAnswer, promptHash, PROMPT_MAX_OUTPUT_TOKENS } from '../ai/prompt';
import { batchLimits, createProvider, estimateCostUsd, ProviderError, routeModel, type BatchProvider, type ProviderBatch } from '../ai/providers';
import { assignParts, REQUEST_OVERHEAD_BYTES, RequestTooLargeError } from '../ai/split';
import type { AiConfig } from '../config';
import type { AiJobCounts, AiJobInput, AiJobStatus } from '../workflows/aiContracts';
import { completedRunIdsOfBatch } from '../db/repositories/runs';
import type { ActivityDeps } from './deps';

/** Lost-response adoption: Anthropic batches created this long before the submit began still count (clock skew). */
const ADOPT_SLACK_MS = 60_000;

function toFailure(err: unknown): Error {
  if (err instanceof ProviderError) {
    if (!err.retryable) return ApplicationFailure.nonRetryable(err.message, 'ProviderRejected');
    return ApplicationFailure.create({ message: err.message, type: 'ProviderRetryable', ...(err.retryAfterMs !== null ? { nextRetryDelay: Math.max(err.retryAfterMs, 100) } : {}) });
  }
  return err instanceof Error ? err : new Error(String(err));
}

export function createAiActivities({ db, ai, log }: Pick<ActivityDeps, 'db' | 'log'> & { ai?: AiConfig }) {
  const provider = (model: string): BatchProvider => {
    const route = routeModel(model);
    if (!route) throw ApplicationFailure.nonRetryable(`model: unknown model ${model} (expected claude-… or gemini-…)`, 'InvalidInput');
    if (!ai?.[route.provider].apiKey) throw ApplicationFailure.nonRetryable(`${route.keyVar} is not set on the worker`, 'MissingKey');
    return createProvider(ai, route.provider);
  };
  const job = async (jobId: string) => {
    const [row] = await db.query(`SELECT * FROM ai_batch_jobs WHERE id = $1`, [jobId]);
    if (!row) throw ApplicationFailure.nonRetryable(`AI job ${jobId} not found`, 'NotFound');
    return row;
  };
  /** One provider batch of a job (a part), with the job's model. */
  const partOf = async (jobId: string, part: number) => {
    const [row] = await db.query(
      `SELECT b.*, j.model FROM ai_provider_batches b JOIN ai_batch_jobs j ON j.id = b.job_id WHERE b.job_id = $1 AND b.part = $2`,
      [jobId, part],
    );
    if (!row) throw ApplicationFailure.nonRetryable(`AI job ${jobId} has no part ${part}`, 'NotFound');
    return row;
  };

  return {
    /**
     * Creates (or finds) the job row and its items: one per page with findings; idempotent on (job, custom id). Items
     * are split into parts that each fit one provider batch (same items, same split: a retry changes nothing).
     */
    async aiCollect(input: AiJobInput): Promise<{ total: number; parts: number }> {
      const route = routeModel(input.model);
      if (!route) throw ApplicationFailure.nonRetryable(`model: unknown model ${input.model}`, 'InvalidInput');
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? input.jobId;
      await db.query(
        `INSERT INTO ai_batch_jobs (id, workflow_id, run_id, model, provider, status, options)
         VALUES ($1, $2, $3, $4, $5, 'collecting', $6) ON CONFLICT (id) DO NOTHING`,
        [input.jobId, workflowId, input.runId, input.model, route.provider, JSON.stringify({ severities: input.severities ?? null, codes: input.codes ?? null, maxPages: input.maxPages ?? null })],
      );
      const pages = await collectPages(db, input.runId, input);
      const sizes = pages.map((p) => Buffer.byteLength(p.prompt) + REQUEST_OVERHEAD_BYTES);
      let split: ReturnType<typeof assignParts>;
      try {
        split = assignParts(sizes, batchLimits(ai, route.provider));
      } catch (err) {
        if (err instanceof RequestTooLargeError) throw ApplicationFailure.nonRetryable(`${route.provider}: ${err.message}`, 'TooLarge');
        throw err;
      }
      if (pages.length) {
        await db.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO ai_batch_items (job_id, custom_id, page_id, url, prompt_hash, prompt, part)
             SELECT $1, 'p-' || r.page_id, r.page_id::bigint, r.url, r.prompt_hash, r.prompt, r.part
               FROM jsonb_to_recordset($2::jsonb) AS r(page_id text, url text, prompt_hash text, prompt text, part int)
             ON CONFLICT (job_id, custom_id) DO NOTHING`,
            [input.jobId, JSON.stringify(pages.map((p, i) => ({ page_id: p.pageId, url: p.url, prompt_hash: promptHash(p.prompt), prompt: p.prompt, part: split.parts[i] })))],
          );
          await tx.query(
            `INSERT INTO ai_provider_batches (job_id, part, request_count, bytes)
             SELECT $1, part, count(*)::int, sum(octet_length(prompt) + $2)::bigint FROM ai_batch_items WHERE job_id = $1 GROUP BY part
             ON CONFLICT (job_id, part) DO NOTHING`,
            [input.jobId, REQUEST_OVERHEAD_BYTES],
          );
        });
      }
      const est = estimate(pages);
      const [{ n, parts }] = await db.query(
        `SELECT (SELECT count(*)::int FROM ai_batch_items WHERE job_id = $1) AS n, (SELECT count(*)::int FROM ai_provider_batches WHERE job_id = $1) AS parts`,
        [input.jobId],
      );
      await db.query(
        `UPDATE ai_batch_jobs SET total_pages = $2, estimated_cost_usd = $3, metadata = metadata || jsonb_build_object('providerBatches', $4::int), updated_at = now() WHERE id = $1`,
        [input.jobId, n, estimateCostUsd(input.model, est.inputTokens, est.outputTokens), parts],
      );
      return { total: n, parts };
    },

    /** The completed runs of a batch (the nightly schedule requests recommendations for each). */
    async aiCompletedRunsOfBatch(input: { batchId: string }): Promise<string[]> {
      return completedRunIdsOfBatch(db, input.batchId);
    },

    async aiSetStatus(input: { jobId: string; status: AiJobStatus; error?: string | null }): Promise<void> {
      const terminal = ['completed', 'failed', 'cancelled'].includes(input.status);
      await db.query(
        `UPDATE ai_batch_jobs SET status = $2, updated_at = now(),
           completed_at = CASE WHEN $3 THEN COALESCE(completed_at, now()) ELSE completed_at END,
           metadata = CASE WHEN $4::text IS NULL THEN metadata ELSE metadata || jsonb_build_object('error', $4::text) END
         WHERE id = $1`,
        [input.jobId, input.status, terminal, input.error ?? null],
      );
    },

    /**
     * Submits one part of the job as one provider batch, at most once. The part's row records the attempt before the
     * create call (submit_started_at) and the batch id right after it. A retry whose earlier create may have
     * succeeded (response lost) first lists the provider's batches and adopts the match: Gemini by display name (job
     * and part), Anthropic by creation time and request count. Extra matches are cancelled; the oldest is kept.
     */
    async aiSubmit(input: { jobId: string; part?: number }): Promise<{ providerBatchId: string; adopted: boolean }> {
      const part = input.part ?? 0;
      const row = await partOf(input.jobId, part);
      if (row.provider_batch_id) return { providerBatchId: row.provider_batch_id, adopted: row.adopted };
      const p = provider(row.model);
      const displayName = `${input.jobId}-part${part}`;
      const items: Array<{ custom_id: string; prompt: string }> = await db.query(
        `SELECT custom_id, prompt FROM ai_batch_items WHERE job_id = $1 AND part = $2 ORDER BY id`,
        [input.jobId, part],
      );
      const record = async (batch: ProviderBatch, adopted: boolean) => {
        await db.transaction(async (tx) => {
          await tx.query(
            `UPDATE ai_provider_batches SET provider_batch_id = $3, state = 'processing', adopted = $4, submitted_at = COALESCE(submitted_at, now())
              WHERE job_id = $1 AND part = $2`,
            [input.jobId, part, batch.id, adopted],
          );
          await tx.query(
            `UPDATE ai_batch_jobs SET provider_batch_id = CASE WHEN $2 = 0 THEN $3 ELSE provider_batch_id END,
               submitted_at = COALESCE(submitted_at, now()),
               metadata = metadata || jsonb_build_object('adopted', COALESCE((metadata->>'adopted')::boolean, false) OR $4::boolean), updated_at = now()
             WHERE id = $1`,
            [input.jobId, part, batch.id, adopted],
          );
        });
        return { providerBatchId: batch.id, adopted };
      };
      try {
        if (row.submit_started_at) {
          const since = new Date(new Date(row.submit_started_at).getTime() - ADOPT_SLACK_MS);
          const known = new Set((await db.query(`SELECT provider_batch_id FROM ai_provider_batches WHERE provider_batch_id IS NOT NULL`)).map((r: any) => r.provider_batch_id));
          const matches = (await p.list(since))
            .filter((b) => !known.has(b.id))
            .filter((b) => (p.name === 'gemini' ? b.displayName === displayName : b.requestCount === items.length))
            .sort((a, b) => Date.parse(a.createdAt ?? '') - Date.parse(b.createdAt ?? ''));
          if (matches.length) {
            for (const extra of matches.slice(1)) await p.cancel(extra.id).catch(() => {});
            log.info({ jobId: input.jobId, part, providerBatchId: matches[0].id }, 'adopted a provider batch created by an earlier attempt');
            return await record(matches[0], true);
          }
        }
        await db.query(`UPDATE ai_provider_batches SET state = 'submitting', submit_started_at = now() WHERE job_id = $1 AND part = $2`, [input.jobId, part]);
        await db.query(`UPDATE ai_batch_jobs SET submit_started_at = COALESCE(submit_started_at, now()), updated_at = now() WHERE id = $1`, [input.jobId]);
        const batch = await p.create(row.model, items.map((i) => ({ customId: i.custom_id, prompt: i.prompt, maxTokens: PROMPT_MAX_OUTPUT_TOKENS })), displayName);
        return await record(batch, false);
      } catch (err) {
        throw toFailure(err);
      }
    },

    async aiPoll(input: { jobId: string; part?: number }): Promise<{ state: ProviderBatch['state']; terminal: string | null }> {
      const row = await partOf(input.jobId, input.part ?? 0);
      try {
        const b = await provider(row.model).get(row.provider_batch_id);
        if (b.state === 'ended' && row.state !== 'ended') {
          await db.query(`UPDATE ai_provider_batches SET state = 'ended', ended_at = now() WHERE job_id = $1 AND part = $2`, [input.jobId, row.part]);
        }
        return { state: b.state, terminal: b.terminal ?? null };
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** Cancels every submitted part that has not ended. */
    async aiCancelBatch(input: { jobId: string }): Promise<void> {
      const row = await job(input.jobId);
      const parts: Array<{ provider_batch_id: string }> = await db.query(
        `SELECT provider_batch_id FROM ai_provider_batches WHERE job_id = $1 AND provider_batch_id IS NOT NULL AND state <> 'ended' ORDER BY part`,
        [input.jobId],
      );
      for (const part of parts) {
        try {
          await provider(row.model).cancel(part.provider_batch_id);
        } catch (err) {
          // Already ended or gone: nothing left to cancel.
          if (err instanceof ProviderError && (err.status === 404 || err.status === 409 || err.status === 400)) continue;
          throw toFailure(err);
        }
      }
    },

    /**
     * Downloads one part's results (any order), maps them by custom id, validates each answer, then recounts the whole
     * job from its items (so the counts after the last part are the job's).
     */
    async aiSaveResults(input: { jobId: string; part?: number }): Promise<AiJobCounts> {
      const part = input.part ?? 0;
      const [row, batch] = await Promise.all([job(input.jobId), partOf(input.jobId, part)]);
      const ids: string[] = (await db.query(`SELECT custom_id FROM ai_batch_items WHERE job_id = $1 AND part = $2 ORDER BY id`, [input.jobId, part])).map((r: any) => r.custom_id);
      let results;
      try {
        results = await provider(row.model).results(batch.provider_batch_id, ids);
      } catch (err) {
        throw toFailure(err);
      }
      const known = new Set(ids);
      const updates = results.filter((r) => known.has(r.customId)).map((r) => {
        if (r.type !== 'succeeded') return { custom_id: r.customId, status: r.type, result: null, error: r.error ?? r.type, inp: null, out: null };
        const parsed = parseAnswer(r.text ?? '');
        return parsed.ok
          ? { custom_id: r.customId, status: 'succeeded', result: parsed.value, error: null, inp: r.inputTokens ?? null, out: r.outputTokens ?? null }
          : { custom_id: r.customId, status: 'errored', result: null, error: parsed.error, inp: r.inputTokens ?? null, out: r.outputTokens ?? null };
      });
      await db.transaction(async (tx) => {
        await tx.query(
          `UPDATE ai_batch_items i SET status = u.status, result = u.result, error = u.error, input_tokens = u.inp, output_tokens = u.out
             FROM jsonb_to_recordset($2::jsonb) AS u(custom_id text, status text, result jsonb, error text, inp int, out int)
            WHERE i.job_id = $1 AND i.part = $3 AND i.custom_id = u.custom_id`,
          [input.jobId, JSON.stringify(updates), part],
        );
        // A submitted request with no result line is a fault of the batch: recorded, never silently dropped.
        await tx.query(
          `UPDATE ai_batch_items SET status = 'errored', error = 'no result returned for this request' WHERE job_id = $1 AND part = $2 AND status = 'pending'`,
          [input.jobId, part],
        );
      });
      const [c] = await db.query(
        `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE status = 'errored')::int AS errored,
                count(*) FILTER (WHERE status = 'expired')::int AS expired, count(*) FILTER (WHERE status = 'canceled')::int AS canceled,
                COALESCE(sum(input_tokens), 0)::bigint AS inp, COALESCE(sum(output_tokens), 0)::bigint AS out
           FROM ai_batch_items WHERE job_id = $1`,
        [input.jobId],
      );
      const cost = estimateCostUsd(row.model, Number(c.inp), Number(c.out));
      await db.query(
        `UPDATE ai_batch_jobs SET succeeded = $2, errored = $3, expired = $4, canceled = $5, input_tokens = $6, output_tokens = $7,
           estimated_cost_usd = $8, updated_at = now() WHERE id = $1`,
        [input.jobId, c.succeeded, c.errored, c.expired, c.canceled, c.inp, c.out, cost],
      );
      return { succeeded: c.succeeded, errored: c.errored, expired: c.expired, canceled: c.canceled };
    },
  };
}
