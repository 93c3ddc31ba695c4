// AI recommendation jobs: the ai_batch_jobs row (lifecycle, counts, cost) and the provider calls.
// Keys stay in this process (config → provider client); workflow inputs, history and rows never carry them.
// Provider errors become ApplicationFailures: retryable ones (429 with retry-after, 5xx, 529, lost connections) are
// retried by the activity's policy, the others (400/401/403/404/413, a missing key) fail the job with their message.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { collectPages, estimate } from '../ai/collect';
import { parseAnswer, promptHash, PROMPT_MAX_OUTPUT_TOKENS } from '../ai/prompt';
import { createProvider, estimateCostUsd, LIMITS, ProviderError, routeModel, type BatchProvider, type ProviderBatch } from '../ai/providers';
import type { AiConfig } from '../config';
import type { AiJobCounts, AiJobInput, AiJobStatus } from '../workflows/aiContracts';
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

  return {
    /** Creates (or finds) the job row and its items: one per page with findings; idempotent on (job, custom id). */
    async aiCollect(input: AiJobInput): Promise<{ total: number }> {
      const route = routeModel(input.model);
      if (!route) throw ApplicationFailure.nonRetryable(`model: unknown model ${input.model}`, 'InvalidInput');
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? input.jobId;
      await db.query(
        `INSERT INTO ai_batch_jobs (id, workflow_id, run_id, model, provider, status, options)
         VALUES ($1, $2, $3, $4, $5, 'collecting', $6) ON CONFLICT (id) DO NOTHING`,
        [input.jobId, workflowId, input.runId, input.model, route.provider, JSON.stringify({ severities: input.severities ?? null, codes: input.codes ?? null, maxPages: input.maxPages ?? null })],
      );
      const pages = await collectPages(db, input.runId, input);
      const limit = LIMITS[route.provider];
      const bytes = pages.reduce((n, p) => n + Buffer.byteLength(p.prompt) + 200, 0);
      if (pages.length > limit.maxRequests || bytes > limit.maxBytes) {
        throw ApplicationFailure.nonRetryable(`${pages.length} pages (${bytes} bytes) exceed one ${route.provider} batch; lower maxPages`, 'TooLarge');
      }
      if (pages.length) {
        await db.query(
          `INSERT INTO ai_batch_items (job_id, custom_id, page_id, url, prompt_hash, prompt)
           SELECT $1, 'p-' || r.page_id, r.page_id::bigint, r.url, r.prompt_hash, r.prompt
             FROM jsonb_to_recordset($2::jsonb) AS r(page_id text, url text, prompt_hash text, prompt text)
           ON CONFLICT (job_id, custom_id) DO NOTHING`,
          [input.jobId, JSON.stringify(pages.map((p) => ({ page_id: p.pageId, url: p.url, prompt_hash: promptHash(p.prompt), prompt: p.prompt })))],
        );
      }
      const est = estimate(pages);
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM ai_batch_items WHERE job_id = $1`, [input.jobId]);
      await db.query(`UPDATE ai_batch_jobs SET total_pages = $2, estimated_cost_usd = $3, updated_at = now() WHERE id = $1`, [
        input.jobId, n, estimateCostUsd(input.model, est.inputTokens, est.outputTokens),
      ]);
      return { total: n };
    },

    /** The completed runs of a batch (the nightly schedule requests recommendations for each). */
    async aiCompletedRunsOfBatch(input: { batchId: string }): Promise<string[]> {
      const rows = await db.query(`SELECT id FROM audit_runs WHERE batch_id = $1 AND status = 'completed' ORDER BY created_at`, [input.batchId]);
      return rows.map((r: any) => r.id);
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
     * Submits the job's items as one provider batch, at most once. The row records the attempt before the create
     * call (submit_started_at) and the batch id right after it. A retry whose earlier create may have succeeded
     * (response lost) first lists the provider's batches and adopts the match: Gemini by display name (the job id),
     * Anthropic by creation time and request count. Extra matches are cancelled; the oldest is kept.
     */
    async aiSubmit(input: { jobId: string }): Promise<{ providerBatchId: string; adopted: boolean }> {
      const row = await job(input.jobId);
      if (row.provider_batch_id) return { providerBatchId: row.provider_batch_id, adopted: false };
      const p = provider(row.model);
      const items: Array<{ custom_id: string; prompt: string }> = await db.query(
        `SELECT custom_id, prompt FROM ai_batch_items WHERE job_id = $1 ORDER BY id`,
        [input.jobId],
      );
      const record = async (batch: ProviderBatch, adopted: boolean) => {
        await db.query(
          `UPDATE ai_batch_jobs SET provider_batch_id = $2, status = 'processing', submitted_at = COALESCE(submitted_at, now()),
             metadata = metadata || jsonb_build_object('adopted', $3::boolean), updated_at = now() WHERE id = $1`,
          [input.jobId, batch.id, adopted],
        );
        return { providerBatchId: batch.id, adopted };
      };
      try {
        if (row.submit_started_at) {
          const since = new Date(new Date(row.submit_started_at).getTime() - ADOPT_SLACK_MS);
          const known = new Set((await db.query(`SELECT provider_batch_id FROM ai_batch_jobs WHERE provider_batch_id IS NOT NULL`)).map((r: any) => r.provider_batch_id));
          const matches = (await p.list(since))
            .filter((b) => !known.has(b.id))
            .filter((b) => (p.name === 'gemini' ? b.displayName === input.jobId : b.requestCount === items.length))
            .sort((a, b) => Date.parse(a.createdAt ?? '') - Date.parse(b.createdAt ?? ''));
          if (matches.length) {
            for (const extra of matches.slice(1)) await p.cancel(extra.id).catch(() => {});
            log.info({ jobId: input.jobId, providerBatchId: matches[0].id }, 'adopted a provider batch created by an earlier attempt');
            return await record(matches[0], true);
          }
        }
        await db.query(`UPDATE ai_batch_jobs SET status = 'submitting', submit_started_at = now(), updated_at = now() WHERE id = $1`, [input.jobId]);
        const batch = await p.create(row.model, items.map((i) => ({ customId: i.custom_id, prompt: i.prompt, maxTokens: PROMPT_MAX_OUTPUT_TOKENS })), input.jobId);
        return await record(batch, false);
      } catch (err) {
        throw toFailure(err);
      }
    },

    async aiPoll(input: { jobId: string }): Promise<{ state: ProviderBatch['state']; terminal: string | null }> {
      const row = await job(input.jobId);
      try {
        const b = await provider(row.model).get(row.provider_batch_id);
        return { state: b.state, terminal: b.terminal ?? null };
      } catch (err) {
        throw toFailure(err);
      }
    },

    async aiCancelBatch(input: { jobId: string }): Promise<void> {
      const row = await job(input.jobId);
      if (!row.provider_batch_id) return;
      try {
        await provider(row.model).cancel(row.provider_batch_id);
      } catch (err) {
        // Already ended or gone: nothing left to cancel.
        if (err instanceof ProviderError && (err.status === 404 || err.status === 409 || err.status === 400)) return;
        throw toFailure(err);
      }
    },

    /** Downloads the results (any order), maps them by custom id, validates each answer, recounts from the items. */
    async aiSaveResults(input: { jobId: string }): Promise<AiJobCounts> {
      const row = await job(input.jobId);
      const ids: string[] = (await db.query(`SELECT custom_id FROM ai_batch_items WHERE job_id = $1 ORDER BY id`, [input.jobId])).map((r: any) => r.custom_id);
      let results;
      try {
        results = await provider(row.model).results(row.provider_batch_id, ids);
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
            WHERE i.job_id = $1 AND i.custom_id = u.custom_id`,
          [input.jobId, JSON.stringify(updates)],
        );
        // A submitted request with no result line is a fault of the batch: recorded, never silently dropped.
        await tx.query(`UPDATE ai_batch_items SET status = 'errored', error = 'no result returned for this request' WHERE job_id = $1 AND status = 'pending'`, [input.jobId]);
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
