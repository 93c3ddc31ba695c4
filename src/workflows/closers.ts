// A run's row says completed only once its workflow has completed in Temporal (issue 9), failed or cancelled only once
// it has closed so, and a batch's or an AI job's row its final status likewise. No code of a workflow runs after it
// closes, so the workflow starts one of these small children just before it returns or rethrows (abandoned when its
// parent closes, like event delivery): its activity waits for the parent's close and then writes the row. It survives
// a dead worker like any activity. Readers that find a finished row still open ask Temporal themselves
// (src/api/runService.ts, src/api/batches.ts, src/api/recommendations.ts).
import { CancellationScope, ParentClosePolicy, log, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ConfirmAiJobClosedInput, createAiActivities } from '../activities/ai';
import type { ConfirmBatchClosedInput, createBatchActivities } from '../activities/batches';
import type { createRunActivities } from '../activities/runs';
import type { ConfirmRunClosedInput } from '../activities/types';
import type { AiJobStatus } from './aiContracts';
import { closerWorkflowId, type BatchStatus } from './contracts';

type CloserActivities = ReturnType<typeof createRunActivities> & ReturnType<typeof createBatchActivities> & ReturnType<typeof createAiActivities>;

// The parent closes within milliseconds of starting this; a parent stuck before its close (a failing workflow task) is
// waited for up to a day, asked every 5 s at most. Heartbeats: a dead worker's wait moves to another within 30 s.
const closing = proxyActivities<CloserActivities>({
  startToCloseTimeout: '24h',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['NoTemporalClient'] },
});

/** Waits for the run's execution to close and writes its row's status accordingly; returns how it closed. */
export async function runCloserWorkflow(input: ConfirmRunClosedInput): Promise<string> {
  return closing.confirmRunClosed(input);
}

/** Waits for the batch's execution to close and writes its row's final status; returns how it closed. */
export async function batchCloserWorkflow(input: ConfirmBatchClosedInput): Promise<string> {
  return closing.confirmBatchClosed(input);
}

/** Waits for the AI job's execution to close and writes its row's final status; returns how it closed. */
export async function aiJobCloserWorkflow(input: ConfirmAiJobClosedInput): Promise<string> {
  return closing.confirmAiJobClosed(input);
}

/** Starts the closer of this AI job (call it last, just before returning or rethrowing). Never fails the caller. */
export async function startAiJobCloser(jobId: string, status: AiJobStatus): Promise<void> {
  const info = workflowInfo();
  const input: ConfirmAiJobClosedInput = { jobId, workflowId: info.workflowId, temporalRunId: info.runId, status };
  await startCloser(aiJobCloserWorkflow, closerWorkflowId('ai-job', info.workflowId, info.firstExecutionRunId), input, `marks AI job ${jobId} ${status} once ${info.workflowId} has closed`);
}

/**
 * Starts the closer of this run (call it last, just before returning or rethrowing). Never fails the caller.
 * `seenStatus`: queued for a row that the run ended before initRun took it over (the row keeps that status).
 */
export async function startRunCloser(runId: string, executionId: string | null, seenStatus?: 'queued'): Promise<void> {
  const info = workflowInfo();
  const input: ConfirmRunClosedInput = { runId, workflowId: info.workflowId, temporalRunId: info.runId, executionId, ...(seenStatus ? { seenStatus } : {}) };
  await startCloser(runCloserWorkflow, closerWorkflowId('run', info.workflowId, info.firstExecutionRunId), input, `writes run ${runId}'s status once ${info.workflowId} has closed`);
}

/** Starts the closer of this batch (call it last, just before returning or rethrowing). Never fails the caller. */
export async function startBatchCloser(batchId: string, status: BatchStatus): Promise<void> {
  const info = workflowInfo();
  const input: ConfirmBatchClosedInput = { batchId, workflowId: info.workflowId, temporalRunId: info.runId, status };
  await startCloser(batchCloserWorkflow, closerWorkflowId('batch', info.workflowId, info.firstExecutionRunId), input, `marks batch ${batchId} ${status} once ${info.workflowId} has closed`);
}

async function startCloser<A>(closer: (input: A) => Promise<string>, workflowId: string, input: A, summary: string): Promise<void> {
  try {
    await CancellationScope.nonCancellable(() =>
      startChild(closer, { workflowId, args: [input], parentClosePolicy: ParentClosePolicy.ABANDON, staticSummary: summary }),
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    // The row then stays finished-but-open until a reader asks Temporal (the API's views, lists, minute timer).
    log.warn('could not start a closer', { workflowId, error: String(err) });
  }
}
