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
import * as aiJobs from '../db/repositories/aiJobs';
import { completedRunIdsOfBatch } from '../db/repositories/runs';
import type { ActivityDeps } from './deps';
import { untilClosed } from './untilClosed';

/** Lost-response adoption: Anthropic batches created this long before the submit began still count (clock skew). */
const ADOPT_SLACK_MS = 60_000;

function toFailure(err: unknown): Error {
  if (err instanceof ProviderError) {
    if (!err.retryable) return ApplicationFailure.nonRetryable(err.message, 'ProviderRejected');
    return ApplicationFailure.create({ message: err.message, type: 'ProviderRetryable', ...(err.retryAfterMs !== null ? { nextRetryDelay: Math.max(err.retryAfterMs, 100) } : {}) });
  }
  return err instanceof Error ? err : new Error(String(err));
}

export interface ConfirmAiJobClosedInput {
  jobId: string;
  workflowId: string;
  /** The Temporal run id of the job's execution. */
  temporalRunId: string;
  /** What the job ends with once its workflow has completed. */
  status: AiJobStatus;
}

export function createAiActivities({ db, ai, log, executionClose }: Pick<ActivityDeps, 'db' | 'log' | 'executionClose'> & { ai?: AiConfig }) {
  const provider = (model: string): BatchProvider => {
    const route = routeModel(model);
    if (!route) throw ApplicationFailure.nonRetryable(`model: unknown model ${model} (expected claude-… or gemini-…)`, 'InvalidInput');
    if (!ai?.[route.provider].apiKey) throw ApplicationFailure.nonRetryable(`${route.keyVar} is not set on the worker`, 'MissingKey');
    return createProvider(ai, route.provider);
  };
  const job = async (jobId: string) => {
    const row = await aiJobs.findAiJob(db, jobId);
    if (!row) throw ApplicationFailure.nonRetryable(`AI job ${jobId} not found`, 'NotFound');
    return row;
  };
  /** One provider batch of a job (a part), with the job's model. */
  const partOf = async (jobId: string, part: number) => {
    const row = await aiJobs.findPart(db, jobId, part);
    if (!row) throw ApplicationFailure.nonRetryable(`AI job ${jobId} has no part ${part}`, 'NotFound');
    return row;
  };

  const activities = {
    /**
     * Creates (or finds) the job row and its items: one per page with findings; idempotent on (job, custom id). Items
     * are split into parts that each fit one provider batch (same items, same split: a retry changes nothing).
     */
    async aiCollect(input: AiJobInput): Promise<{ total: number; parts: number }> {
      const route = routeModel(input.model);
      if (!route) throw ApplicationFailure.nonRetryable(`model: unknown model ${input.model}`, 'InvalidInput');
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? input.jobId;
      await aiJobs.ensureAiJob(db, {
        jobId: input.jobId, workflowId, runId: input.runId, model: input.model, provider: route.provider,
        options: { severities: input.severities ?? null, codes: input.codes ?? null, maxPages: input.maxPages ?? null },
      });
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
        const items = pages.map((p, i) => ({ page_id: p.pageId, url: p.url, prompt_hash: promptHash(p.prompt), prompt: p.prompt, part: split.parts[i] }));
        await db.transaction((tx) => aiJobs.insertItemsAndParts(tx, input.jobId, items, REQUEST_OVERHEAD_BYTES));
      }
      const est = estimate(pages);
      const { n, parts } = await aiJobs.countItemsAndParts(db, input.jobId);
      await aiJobs.setJobTotals(db, input.jobId, n, estimateCostUsd(input.model, est.inputTokens, est.outputTokens), parts);
      return { total: n, parts };
    },

    /** The completed runs of a batch (the nightly schedule requests recommendations for each). */
    async aiCompletedRunsOfBatch(input: { batchId: string }): Promise<string[]> {
      return completedRunIdsOfBatch(db, input.batchId);
    },

    /** `statusAfterClose`: a final status the job's closer writes once the workflow has completed (the rest now). */
    async aiSetStatus(input: { jobId: string; status: AiJobStatus; error?: string | null; statusAfterClose?: boolean }): Promise<void> {
      const terminal = ['completed', 'failed', 'cancelled'].includes(input.status);
      await aiJobs.setJobStatus(db, input.jobId, input.status, terminal, input.error ?? null, terminal && input.statusAfterClose === true);
    },

    /**
     * The job's closer (src/workflows/closers.ts): once the execution has closed, its row says its final status, or
     * failed with the reason if it was terminated or timed out in between.
     */
    async confirmAiJobClosed(input: ConfirmAiJobClosedInput): Promise<string> {
      const close = await untilClosed(executionClose, input.workflowId, input.temporalRunId);
      if (close.status === 'completed') await aiJobs.markJobFinal(db, input.jobId, input.status);
      else await aiJobs.markJobClosedOutside(db, input.jobId, close);
      return close.status;
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
      const items = await aiJobs.partRequests(db, input.jobId, part);
      const record = async (batch: ProviderBatch, adopted: boolean) => {
        await db.transaction((tx) => aiJobs.recordPartSubmitted(tx, input.jobId, part, batch.id, adopted));
        return { providerBatchId: batch.id, adopted };
      };
      try {
        if (row.submit_started_at) {
          const since = new Date(new Date(row.submit_started_at).getTime() - ADOPT_SLACK_MS);
          const known = await aiJobs.knownProviderBatchIds(db);
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
        await aiJobs.markPartSubmitting(db, input.jobId, part);
        const batch = await p.create(row.model, items.map((i) => ({ customId: i.custom_id, prompt: i.prompt, maxTokens: PROMPT_MAX_OUTPUT_TOKENS })), displayName);
        return await record(batch, false);
      } catch (err) {
        throw toFailure(err);
      }
    },

    async aiPoll(input: { jobId: string; part?: number }): Promise<{ state: ProviderBatch['state']; terminal: string | null }> {
      const row = await partOf(input.jobId, input.part ?? 0);
      try {
        const b = await provider(row.model).get(row.provider_batch_id!);
        if (b.state === 'ended' && row.state !== 'ended') await aiJobs.markPartEnded(db, input.jobId, row.part);
        return { state: b.state, terminal: b.terminal ?? null };
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** Cancels every submitted part that has not ended. */
    async aiCancelBatch(input: { jobId: string }): Promise<void> {
      const row = await job(input.jobId);
      const open = await aiJobs.openProviderBatchIds(db, input.jobId);
      for (const providerBatchId of open) {
        try {
          await provider(row.model).cancel(providerBatchId);
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
      const ids = await aiJobs.partCustomIds(db, input.jobId, part);
      let results;
      try {
        results = await provider(row.model).results(batch.provider_batch_id!, ids);
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
      // A submitted request with no result line is a fault of the batch: recorded, never silently dropped.
      await db.transaction((tx) => aiJobs.storePartResults(tx, input.jobId, part, updates));
      const c = await aiJobs.countItemOutcomes(db, input.jobId);
      const cost = estimateCostUsd(row.model, Number(c.inp), Number(c.out));
      await aiJobs.setJobCounts(db, input.jobId, c, cost);
      return { succeeded: c.succeeded, errored: c.errored, expired: c.expired, canceled: c.canceled };
    },
  };
  // Provider calls (uploads, polls, downloads) can take minutes: they heartbeat, so a worker that dies mid-call is
  // noticed within the heartbeat timeout (the workflow's provider preset), not after the 5-minute start-to-close.
  return {
    ...activities,
    aiSubmit: heartbeating(activities.aiSubmit),
    aiPoll: heartbeating(activities.aiPoll),
    aiCancelBatch: heartbeating(activities.aiCancelBatch),
    aiSaveResults: heartbeating(activities.aiSaveResults),
  };
}

const PROVIDER_HEARTBEAT_MS = 5_000;

function heartbeating<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    let ctx: Context | null = null;
    try {
      ctx = Context.current();
    } catch {
      // Called outside an activity (tests, scripts): nothing to tell.
    }
    ctx?.heartbeat();
    const timer = ctx ? setInterval(() => ctx.heartbeat(), PROVIDER_HEARTBEAT_MS) : null;
    try {
      return await fn(...args);
    } finally {
      if (timer) clearInterval(timer);
    }
  };
}

