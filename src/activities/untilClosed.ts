// The wait of the closer workflows (src/workflows/closers.ts): an activity asks Temporal until the execution it
// watches has closed, heartbeating.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { WorkflowClose } from '../temporal/closedExecution';
import type { ActivityDeps } from './deps';

/** How often the closer asks whether the workflow has closed: soon at first (it closes within milliseconds). */
const CLOSE_POLL_FIRST_MS = 50;
const CLOSE_POLL_MAX_MS = 5_000;

/** A closer's wait (an activity, heartbeating): how the execution `runId` of `workflowId` closed, once it has. */
export async function untilClosed(executionClose: ActivityDeps['executionClose'], workflowId: string, runId: string): Promise<WorkflowClose> {
  if (!executionClose) throw ApplicationFailure.nonRetryable('this worker has no Temporal client to ask how the workflow closed', 'NoTemporalClient');
  const ctx = Context.current();
  for (let waitMs = CLOSE_POLL_FIRST_MS; ; waitMs = Math.min(waitMs * 2, CLOSE_POLL_MAX_MS)) {
    const close = await executionClose(workflowId, runId);
    if (close) return close;
    ctx.heartbeat();
    await ctx.sleep(waitMs);
  }
}
