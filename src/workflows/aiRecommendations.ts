// One AI recommendations job: collect → submit → poll (durable timers, growing interval) → save results. A job larger
// than one provider batch is split into parts at collect time: each part is submitted, polled and saved on its own.
// The status lives in the ai_batch_jobs row and in the AiJobStatus search attribute
// (`temporal workflow list --query "AiJobStatus = 'processing'"`). Cancelling the workflow cancels the provider batch,
// then saves what the provider finished before the cancel.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { startAiJobCloser } from './closers';
import { emitEvent } from './events';
import type { createAiActivities } from '../activities/ai';
import type { AiJobInput, AiJobResult, AiJobStatus } from './aiContracts';
import { AiJobStatusKey } from './searchAttributes';

type Activities = ReturnType<typeof createAiActivities>;

/** Marker of the AI job closer (src/workflows/closers.ts): the row says its final status once the workflow has closed. */
const AI_JOB_CLOSER_PATCH = 'ai-job-closer';
/** Marker of the AI job closer after a cancellation. */
const AI_JOB_END_CLOSER_PATCH = 'ai-job-end-closer';

/** PostgreSQL bookkeeping: retried without limit (an outage delays the job, never loses it). */
const db = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
});
/** Provider calls: retryable errors (429 honouring retry-after, 5xx, 529) back off; rejections fail at once. */
const provider = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // The activities heartbeat every 5 s: a worker killed mid-call is noticed in 30 s.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s', maximumAttempts: 8, nonRetryableErrorTypes: ['ProviderRejected', 'MissingKey', 'InvalidInput', 'TooLarge', 'NotFound'] },
});

const DEFAULT_POLL_MS = 60_000;
const DEFAULT_POLL_MAX_MS = 15 * 60_000;
const DEFAULT_WINDOW_MS = 24 * 3_600_000;

function reason(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return String(err instanceof ActivityFailure ? (e.cause?.message ?? e.message) : (e?.message ?? err)).slice(0, 2000);
}

export async function aiRecommendationsWorkflow(input: AiJobInput): Promise<AiJobResult> {
  const result: AiJobResult = { jobId: input.jobId, status: 'collecting', total: 0, providerBatchId: null, providerBatches: 0, polls: 0, error: null, succeeded: 0, errored: 0, expired: 0, canceled: 0 };
  /** Parts whose provider batch exists (their results are worth fetching after a cancel). */
  const submitted: number[] = [];
  const setStatus = async (status: AiJobStatus, error: string | null = null, statusAfterClose = false) => {
    result.status = status;
    upsertSearchAttributes([{ key: AiJobStatusKey, value: status }]);
    setCurrentDetails(`**${status}** · ${result.total} pages · ${result.succeeded} succeeded, ${result.errored} errored, ${result.expired} expired`);
    await db.aiSetStatus({ jobId: input.jobId, status, error, ...(statusAfterClose ? { statusAfterClose } : {}) });
  };
  /**
   * The job's end: its row gets everything now and its final status from the job's closer once this execution has
   * completed (patched: jobs started before the closer existed replay the way they ran), then the event.
   */
  const finish = async (status: 'completed' | 'failed', error: string | null = null): Promise<AiJobResult> => {
    if (!patched(AI_JOB_CLOSER_PATCH)) {
      await setStatus(status, error);
      await aiEvent(input, result);
      return result;
    }
    await setStatus(status, error, true);
    await Promise.all([startAiJobCloser(input.jobId, status), aiEvent(input, result)]);
    return result;
  };
  const pollUntilEnded = async (part: number, maxMs: number) => {
    let interval = input.pollIntervalMs ?? DEFAULT_POLL_MS;
    const maxInterval = input.pollMaxIntervalMs ?? DEFAULT_POLL_MAX_MS;
    let waited = 0;
    for (;;) {
      const s = await provider.aiPoll({ jobId: input.jobId, part });
      result.polls++;
      if (s.state === 'ended') return s;
      // One final poll after the provider's window (its own expiry ends the batch then).
      if (waited >= maxMs) throw ApplicationFailure.nonRetryable(`the provider batch did not end within ${maxMs} ms`, 'PollTimeout');
      await sleep(interval);
      waited += interval;
      interval = Math.min(interval * 2, maxInterval);
    }
  };

  try {
    upsertSearchAttributes([{ key: AiJobStatusKey, value: 'collecting' }]);
    const { total, parts } = await db.aiCollect(input);
    result.total = total;
    result.providerBatches = parts ?? 1;
    if (total === 0) return await finish('completed');
    await setStatus('submitting');
    for (let part = 0; part < result.providerBatches; part++) {
      const s = await provider.aiSubmit({ jobId: input.jobId, part });
      if (part === 0) result.providerBatchId = s.providerBatchId;
      submitted.push(part);
    }
    await setStatus('processing');
    // The parts run side by side at the provider; each is polled on its own timer, then saved one after the other
    // (each save recounts the whole job, so the last one's counts are final).
    await Promise.all(submitted.map((part) => pollUntilEnded(part, input.pollMaxMs ?? DEFAULT_WINDOW_MS)));
    for (const part of submitted) Object.assign(result, await provider.aiSaveResults({ jobId: input.jobId, part }));
    return await finish('completed');
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        if (submitted.length) {
          await provider.aiCancelBatch({ jobId: input.jobId });
          // Anthropic goes canceling → ended and may have finished some requests: save those.
          for (const part of submitted) {
            try {
              await pollUntilEnded(part, Math.max(5 * (input.pollIntervalMs ?? DEFAULT_POLL_MS), 60_000));
              Object.assign(result, await provider.aiSaveResults({ jobId: input.jobId, part }));
            } catch {}
          }
        }
        // The row's status is written by the job's closer once this execution has closed, as for a finished job;
        // patched(): jobs cancelled before this replay the way they ran.
        const closer = patched(AI_JOB_END_CLOSER_PATCH);
        await setStatus('cancelled', 'cancelled', closer);
        if (closer) await startAiJobCloser(input.jobId, 'cancelled');
      });
      throw err;
    }
    result.error = reason(err);
    return await finish('failed', result.error);
  }
}

function aiEvent(input: AiJobInput, r: AiJobResult): Promise<void> {
  return emitEvent({
    type: r.status === 'failed' ? 'ai_job.failed' : 'ai_job.completed',
    subjectId: input.jobId,
    error: r.error,
    data: { total: r.total, succeeded: r.succeeded, errored: r.errored, expired: r.expired, canceled: r.canceled, providerBatchId: r.providerBatchId },
  });
}
