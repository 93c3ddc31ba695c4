// Batch bookkeeping: the audit_batches row.
//
// A "failed domain" is one whose site could not be audited: the child run failed, or it ended without a single page
// audited — the site was unreachable (nothing found or fetched: DNS, connection refused, TLS, blocked target) or every
// page it found failed. Such a domain's run row says `failed` too, with the same error, so the batch's per-domain
// status and GET /api/runs/:id always agree (the child's Temporal execution itself still shows Completed: the workflow
// ran to its end; the audit it produced is a failure). A domain with at least one audited page is `completed`. The
// statements (all idempotent) are in src/db/repositories/batches.ts.
import type { BatchAuditResult, BatchStatus, DomainStatus } from '../workflows/contracts';
import * as runStatus from '../db/runStatusStore';
import * as batches from '../db/repositories/batches';
import { runIdAndAudited } from '../db/repositories/runs';
import type { ActivityDeps } from './deps';
import { untilClosed } from './untilClosed';

export interface StartBatchInput {
  batchId: string;
  workflowId: string;
  domains: string[];
  options: Record<string, unknown>;
}

export interface RecordBatchDomainInput {
  batchId: string;
  domain: string;
  result: DomainStatus;
}

export interface FinishBatchInput {
  batchId: string;
  status: BatchStatus;
  error: string | null;
  /** The row's status is written by the batch's closer once its workflow has completed (src/workflows/closers.ts). */
  statusAfterClose?: boolean;
}

export interface ConfirmBatchClosedInput {
  batchId: string;
  workflowId: string;
  /** The Temporal run id of the execution that finished the batch (the last of its chain). */
  temporalRunId: string;
  /** What the batch ends with once its workflow has completed. */
  status: BatchStatus;
}

export function createBatchActivities({ db, executionClose }: Pick<ActivityDeps, 'db' | 'executionClose'>) {
  return {
    /**
     * Marks the batch running. The API inserts the row before it starts the workflow; a batch started by other means
     * (`temporal workflow start`) gets its row here, with every domain queued.
     */
    async startBatch(input: StartBatchInput): Promise<void> {
      const statuses = Object.fromEntries(input.domains.map((d) => [d, { status: 'queued', runId: null, pagesAudited: 0, error: null }]));
      await batches.markBatchRunning(db, { batchId: input.batchId, workflowId: input.workflowId, domains: input.domains, domainStatuses: statuses, options: input.options });
    },

    /** Stores one domain's outcome (filling in its run id from audit_runs when the workflow did not learn it). */
    async recordBatchDomain(input: RecordBatchDomainInput): Promise<DomainStatus> {
      const r = input.result;
      let { runId, pagesAudited } = r;
      if (!runId && r.workflowId) {
        const run = await runIdAndAudited(db, r.workflowId);
        if (run) {
          runId = run.id;
          pagesAudited = Math.max(pagesAudited, run.audited);
        }
      }
      const stored: DomainStatus = { status: r.status, runId, pagesAudited, error: r.error, workflowId: r.workflowId };
      await db.transaction(async (tx) => {
        if ((stored.status === 'failed' || stored.status === 'cancelled') && runId) {
          // The batch has its child's failure, so the child's workflow has closed: a row its workflow ended says so now
          // (failed or cancelled), whether or not the child's closer has written it yet; a child that completed its
          // workflow but audited nothing (started before such runs fail) says failed, like the batch.
          if (!(await runStatus.markEnded(tx, runId)) && stored.status === 'failed') await runStatus.markCompletedAsFailed(tx, runId, stored.error);
        } else if (stored.status === 'completed' && runId) {
          // The batch has its child's result, so the child's workflow has completed: its row says so now, whether or
          // not the child's closer has written it yet (a batch reader must not find the domain completed, its run not).
          await runStatus.markCompleted(tx, runId, null);
        }
        await batches.storeDomainStatus(tx, input.batchId, input.domain, stored);
      });
      return stored;
    },

    /** Closes the batch: domains never started (a cancelled batch) become cancelled; counters from the row. */
    async finishBatch(input: FinishBatchInput): Promise<BatchAuditResult> {
      return db.transaction(async (tx) => {
        if (input.status === 'cancelled') await batches.cancelOpenDomains(tx, input.batchId);
        const result = await batches.closeBatch(tx, input.batchId, input.status, input.error, input.statusAfterClose === true);
        if (!result) throw new Error(`batch ${input.batchId} not found`);
        return result;
      });
    },

    /**
     * The batch's closer: waits until the execution that finished the batch has closed in Temporal, then writes how.
     * Completed: the row says its final status only now. Terminated or timed out in between: failed, with the reason.
     */
    async confirmBatchClosed(input: ConfirmBatchClosedInput): Promise<string> {
      const close = await untilClosed(executionClose, input.workflowId, input.temporalRunId);
      if (close.status === 'completed') await batches.markBatchFinal(db, input.batchId, input.status);
      else await db.transaction((tx) => batches.markBatchClosedOutside(tx, input.batchId, close));
      return close.status;
    },
  };
}
