// Batch bookkeeping: the audit_batches row.
//
// A "failed domain" is one whose site could not be audited: the child run failed, or it ended without a single page
// audited — the site was unreachable (nothing found or fetched: DNS, connection refused, TLS, blocked target) or every
// page it found failed. Such a domain's run row says `failed` too, with the same error, so the batch's per-domain
// status and GET /api/runs/:id always agree (the child's Temporal execution itself still shows Completed: the workflow
// ran to its end; the audit it produced is a failure). A domain with at least one audited page is `completed`. Every write is idempotent: per-domain results are set by key (jsonb_set,
// the same value twice changes nothing) and the counters are recomputed from domain_statuses, never incremented.
import type { BatchAuditResult, BatchStatus, DomainStatus } from '../workflows/contracts';
import * as runStatus from '../db/runStatusStore';
import { runIdAndAudited } from '../db/repositories/runs';
import type { ActivityDeps } from './deps';

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
}

const COUNTERS_SQL = `
  completed_domains = (SELECT count(*)::int FROM jsonb_each(audit_batches.domain_statuses) e WHERE e.value->>'status' = 'completed'),
  failed_domains = (SELECT count(*)::int FROM jsonb_each(audit_batches.domain_statuses) e WHERE e.value->>'status' = 'failed')`;

export function createBatchActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    /**
     * Marks the batch running. The API inserts the row before it starts the workflow; a batch started by other means
     * (`temporal workflow start`) gets its row here, with every domain queued.
     */
    async startBatch(input: StartBatchInput): Promise<void> {
      const statuses = Object.fromEntries(input.domains.map((d) => [d, { status: 'queued', runId: null, pagesAudited: 0, error: null }]));
      await db.query(
        `INSERT INTO audit_batches (id, workflow_id, status, domains, domain_statuses, options, total_domains, started_at)
         VALUES ($1, $2, 'running', $3, $4, $5, $6, now())
         ON CONFLICT (id) DO UPDATE SET
           status = CASE WHEN audit_batches.status = 'queued' THEN 'running' ELSE audit_batches.status END,
           started_at = COALESCE(audit_batches.started_at, now()), updated_at = now()`,
        [input.batchId, input.workflowId, JSON.stringify(input.domains), JSON.stringify(statuses), JSON.stringify(input.options), input.domains.length],
      );
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
        if (stored.status === 'failed' && runId) {
          // The child run completed its workflow but audited nothing: its row says failed, like the batch.
          await runStatus.markCompletedAsFailed(tx, runId, stored.error);
        }
        await tx.query(
          `UPDATE audit_batches SET domain_statuses = jsonb_set(domain_statuses, ARRAY[$2::text], $3::jsonb, true), updated_at = now() WHERE id = $1`,
          [input.batchId, input.domain, JSON.stringify(stored)],
        );
        await tx.query(`UPDATE audit_batches SET ${COUNTERS_SQL} WHERE id = $1`, [input.batchId]);
      });
      return stored;
    },

    /** Closes the batch: domains never started (a cancelled batch) become cancelled; counters from the row. */
    async finishBatch(input: FinishBatchInput): Promise<BatchAuditResult> {
      return db.transaction(async (tx) => {
        if (input.status === 'cancelled') {
          await tx.query(
            `UPDATE audit_batches SET domain_statuses = (
               SELECT COALESCE(jsonb_object_agg(e.key, CASE WHEN e.value->>'status' IN ('queued', 'running')
                 THEN e.value || '{"status":"cancelled","error":"cancelled"}'::jsonb ELSE e.value END), '{}'::jsonb)
               FROM jsonb_each(audit_batches.domain_statuses) e)
             WHERE id = $1`,
            [input.batchId],
          );
        }
        const [row] = await tx.query(
          `UPDATE audit_batches SET ${COUNTERS_SQL}, status = $2, error = $3, updated_at = now(),
             started_at = COALESCE(started_at, now()), finished_at = COALESCE(finished_at, now())
           WHERE id = $1
           RETURNING id, status, total_domains, completed_domains, failed_domains,
             (SELECT count(*)::int FROM jsonb_each(domain_statuses) e WHERE e.value->>'status' = 'cancelled') AS cancelled_domains`,
          [input.batchId, input.status, input.error],
        ).then((r: [any[], number]) => r[0]);
        if (!row) throw new Error(`batch ${input.batchId} not found`);
        return {
          batchId: row.id,
          status: row.status,
          totalDomains: row.total_domains,
          completedDomains: row.completed_domains,
          failedDomains: row.failed_domains,
          cancelledDomains: row.cancelled_domains,
        };
      });
    },
  };
}
