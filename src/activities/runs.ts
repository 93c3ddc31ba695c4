// Run bookkeeping: the audit_runs row and stage changes.
import type { ActivityDeps } from './deps';
import type { InitRunInput, SetStageInput } from './types';
import { siteHostOf } from '../audit/url';
import * as runStatus from '../db/runStatusStore';
import * as runs from '../db/repositories/runs';
import * as frontier from './frontier';

export function createRunActivities({ db }: Pick<ActivityDeps, 'db'>) {
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

    async setStage(input: SetStageInput): Promise<void> {
      await runStatus.setStage(db, input, input.stage, input.error);
    },
  };
}
