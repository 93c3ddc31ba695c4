// A run's row says completed only once its workflow has completed in Temporal (issue 9). No code of a workflow runs
// after it closes, so the run starts this small child just before it returns (abandoned when its parent closes, like
// event delivery): its activity waits for the parent's close and then writes the row. It survives a dead worker like
// any activity. Readers that find a summarized row still running ask Temporal themselves (src/api/runService.ts).
import { CancellationScope, ParentClosePolicy, log, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createRunActivities } from '../activities/runs';
import type { ConfirmRunClosedInput } from '../activities/types';

type RunActivities = ReturnType<typeof createRunActivities>;

// The parent closes within milliseconds of starting this; a parent stuck before its close (a failing workflow task) is
// waited for up to a day, asked every 5 s at most. Heartbeats: a dead worker's wait moves to another within 30 s.
const closing = proxyActivities<RunActivities>({
  startToCloseTimeout: '24h',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['NoTemporalClient'] },
});

/** Waits for the run's execution to close and writes its row accordingly; returns how it closed. */
export async function runCloserWorkflow(input: ConfirmRunClosedInput): Promise<string> {
  return closing.confirmRunClosed(input);
}

/** Starts the closer of this run (call it last, just before returning). Never fails the caller. */
export async function startRunCloser(runId: string, executionId: string): Promise<void> {
  const info = workflowInfo();
  const input: ConfirmRunClosedInput = { runId, workflowId: info.workflowId, temporalRunId: info.runId, executionId };
  try {
    await CancellationScope.nonCancellable(() =>
      startChild(runCloserWorkflow, {
        workflowId: `close-run:${info.workflowId}:${info.firstExecutionRunId}`,
        args: [input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `marks run ${runId} completed once ${info.workflowId} has closed`,
      }),
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    // The row then stays summarized until a reader asks Temporal (the API view, its list, its minute timer).
    log.warn('could not start the run closer', { runId, error: String(err) });
  }
}
