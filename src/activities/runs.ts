// Run bookkeeping: the audit_runs row and stage changes, and its completion once Temporal has closed the workflow.
import type { ActivityDeps } from './deps';
import type { ConfirmRunClosedInput, InitRunInput, SetStageInput } from './types';
import { siteHostOf } from '../audit/url';
import * as runStatus from '../db/runStatusStore';
import * as runs from '../db/repositories/runs';
import * as frontier from './frontier';
import { untilClosed } from './untilClosed';

export function createRunActivities({ db, executionClose }: Pick<ActivityDeps, 'db' | 'executionClose'>) {
  return {
    /**
     * Creates (or takes over) the run's row. A new execution of the same workflow id (an explicit re-run) clears the
     * frontier and links of the previous execution; page_audits rows stay and are updated in place by url hash.
     */
    async initRun(input: InitRunInput): Promise<string> {
      return db.transaction(async (tx) => {
        const host = siteHostOf(input.siteUrl) ?? '';
        const existing = await runs.lockRunByWorkflowId(tx, input.workflowId);
        if (!existing) {
          return runStatus.insertRunning(tx, {
            workflowId: input.workflowId, runKey: input.runKey, siteUrl: input.siteUrl, siteHost: host,
            options: input.options, executionId: input.executionId, batchId: input.batchId,
          });
        }
        if (existing.execution_id !== input.executionId) {
          await frontier.clear(tx, existing.id);
          await runs.clearExecutionState(tx, existing.id);
          await runStatus.resetForExecution(tx, existing.id, input.executionId);
        }
        await runStatus.markRunning(tx, existing.id, input.options, input.batchId);
        return existing.id;
      });
    },

    /** Returns the row written: a run that ends before initRun learns here which row its closer ends. */
    async setStage(input: SetStageInput): Promise<runStatus.StagedRow | null> {
      return runStatus.setStage(db, input, input.stage, input.error, input.statusAfterClose === true);
    },

    /**
     * The run's closer (src/workflows/closers.ts): waits until the execution that ended the run (summarized it, or
     * failed or cancelled it) has closed in Temporal, then writes how. Completed: the row says completed only now, never
     * before its workflow does; failed or cancelled likewise. Terminated or timed out in the moment before the close:
     * failed, with the reason.
     */
    async confirmRunClosed(input: ConfirmRunClosedInput): Promise<string> {
      const close = await untilClosed(executionClose, input.workflowId, input.temporalRunId);
      if (close.status === 'completed') await runStatus.markCompleted(db, input.runId, input.executionId);
      else await runStatus.markClosedOutside(db, input.runId, { status: input.seenStatus ?? 'running', executionId: input.executionId }, close);
      return close.status;
    },
  };
}
