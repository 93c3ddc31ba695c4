// The audit_batches aggregate: the API writes the queued row and reads it back; the batch activities mark it running,
// store each domain's outcome and close it. Every write is idempotent: per-domain results are set by key (jsonb_set,
// the same value twice changes nothing) and the counters are recomputed from domain_statuses, never incremented.
import type { BatchAuditResult, BatchStatus, DomainStatus, SiteAuditOptions } from '../../audit/records';
import type { Queryable } from './queryable';

/** One audit_batches row as pg returns it (timestamps as Date, jsonb parsed). */
export type BatchRow = {
  id: string;
  workflow_id: string;
  idempotency_key: string | null;
  status: BatchStatus;
  domains: string[];
  domain_statuses: Record<string, DomainStatus>;
  options: Partial<SiteAuditOptions>;
  metadata: { maxConcurrentSites?: number; [key: string]: unknown };
  total_domains: number;
  completed_domains: number;
  failed_domains: number;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
};

export async function findBatchById(db: Queryable, id: string): Promise<BatchRow | undefined> {
  const rows: BatchRow[] = await db.query(`SELECT * FROM audit_batches WHERE id = $1`, [id]);
  return rows[0];
}

export async function findBatchByWorkflowId(db: Queryable, workflowId: string): Promise<BatchRow | undefined> {
  const rows: BatchRow[] = await db.query(`SELECT * FROM audit_batches WHERE workflow_id = $1`, [workflowId]);
  return rows[0];
}

export interface NewBatchRow {
  id: string;
  workflowId: string;
  idempotencyKey: string | null;
  domains: string[];
  domainStatuses: Record<string, unknown>;
  options: unknown;
  metadata: unknown;
}

/** API: the row exists before its workflow does (queued). False when the workflow id has a row already. */
export async function insertQueuedBatch(db: Queryable, b: NewBatchRow): Promise<boolean> {
  const inserted: Array<{ id: string }> = await db.query(
    `INSERT INTO audit_batches (id, workflow_id, idempotency_key, status, domains, domain_statuses, options, metadata, total_domains)
     VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8) ON CONFLICT (workflow_id) DO NOTHING RETURNING id`,
    [b.id, b.workflowId, b.idempotencyKey, JSON.stringify(b.domains), JSON.stringify(b.domainStatuses), JSON.stringify(b.options), JSON.stringify(b.metadata), b.domains.length],
  );
  return inserted.length > 0;
}

/** API: a queued row whose workflow never started is removed again. */
export async function deleteQueuedBatch(db: Queryable, id: string): Promise<void> {
  await db.query(`DELETE FROM audit_batches WHERE id = $1 AND status = 'queued'`, [id]);
}

/** API: cancelling a batch whose workflow never started cancels the row alone. */
export async function markUnstartedCancelled(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE audit_batches SET status = 'cancelled', error = 'cancelled', finished_at = now(), updated_at = now() WHERE id = $1`, [id]);
}

export type BatchListRow = Pick<BatchRow, 'id' | 'workflow_id' | 'status' | 'total_domains' | 'completed_domains' | 'failed_domains' | 'error' | 'created_at' | 'started_at' | 'finished_at'>;

/** Newest first, filtered by status when given. */
export async function listBatches(db: Queryable, q: { status?: string | null; limit: number }): Promise<BatchListRow[]> {
  return db.query(
    `SELECT id, workflow_id, status, total_domains, completed_domains, failed_domains, error, created_at, started_at, finished_at
       FROM audit_batches WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC, id LIMIT $2`,
    [q.status ?? null, q.limit],
  );
}

const COUNTERS_SQL = `
  completed_domains = (SELECT count(*)::int FROM jsonb_each(audit_batches.domain_statuses) e WHERE e.value->>'status' = 'completed'),
  failed_domains = (SELECT count(*)::int FROM jsonb_each(audit_batches.domain_statuses) e WHERE e.value->>'status' = 'failed')`;

/**
 * Activity: the batch is running. The API inserts the row before it starts the workflow; a batch started by other
 * means (`temporal workflow start`) gets its row here, with every domain queued.
 */
export async function markBatchRunning(db: Queryable, b: { batchId: string; workflowId: string; domains: string[]; domainStatuses: Record<string, unknown>; options: unknown }): Promise<void> {
  await db.query(
    `INSERT INTO audit_batches (id, workflow_id, status, domains, domain_statuses, options, total_domains, started_at)
     VALUES ($1, $2, 'running', $3, $4, $5, $6, now())
     ON CONFLICT (id) DO UPDATE SET
       status = CASE WHEN audit_batches.status = 'queued' THEN 'running' ELSE audit_batches.status END,
       started_at = COALESCE(audit_batches.started_at, now()), updated_at = now()`,
    [b.batchId, b.workflowId, JSON.stringify(b.domains), JSON.stringify(b.domainStatuses), JSON.stringify(b.options), b.domains.length],
  );
}

/** Activity: one domain's outcome, by key, and the counters recomputed. */
export async function storeDomainStatus(tx: Queryable, batchId: string, domain: string, status: DomainStatus): Promise<void> {
  await tx.query(
    `UPDATE audit_batches SET domain_statuses = jsonb_set(domain_statuses, ARRAY[$2::text], $3::jsonb, true), updated_at = now() WHERE id = $1`,
    [batchId, domain, JSON.stringify(status)],
  );
  await tx.query(`UPDATE audit_batches SET ${COUNTERS_SQL} WHERE id = $1`, [batchId]);
}

/** Activity: a cancelled batch's domains that never started (queued or running) become cancelled. */
export async function cancelOpenDomains(tx: Queryable, batchId: string): Promise<void> {
  await tx.query(
    `UPDATE audit_batches SET domain_statuses = (
       SELECT COALESCE(jsonb_object_agg(e.key, CASE WHEN e.value->>'status' IN ('queued', 'running')
         THEN e.value || '{"status":"cancelled","error":"cancelled"}'::jsonb ELSE e.value END), '{}'::jsonb)
       FROM jsonb_each(audit_batches.domain_statuses) e)
     WHERE id = $1`,
    [batchId],
  );
}

/**
 * A batch whose workflow closed other than completed, if its row is still open. When the workflow's own code ended it
 * (`close.byWorkflow`: failed or cancelled) and finished the row, only the status is left to write. Otherwise
 * (terminated or timed out in Temporal) its open domains end cancelled (the parent's close cancels their runs) and the
 * row closes with Temporal's status and reason. True when it wrote.
 */
export async function markBatchClosedOutside(tx: Queryable, batchId: string, close: { status: 'failed' | 'cancelled'; error: string; byWorkflow: boolean }): Promise<boolean> {
  const open: Array<{ finished: boolean }> = await tx.query(
    `SELECT finished_at IS NOT NULL AS finished FROM audit_batches WHERE id = $1 AND status IN ('queued', 'running') FOR UPDATE`, [batchId]);
  if (open.length === 0) return false;
  if (close.byWorkflow && open[0].finished) return markBatchFinal(tx, batchId, close.status);
  await cancelOpenDomains(tx, batchId);
  await closeBatch(tx, batchId, close.status, close.error);
  return true;
}

/** A batch closed but for its status (closeBatch with statusAfterClose): running, with a finish time. */
const FINISHED_OPEN = `status = 'running' AND finished_at IS NOT NULL`;

/**
 * The batch's workflow has closed in Temporal as its code ended it (seen by its closer workflow or a reader): its row,
 * closed but for its status, now says `status`. True when it wrote.
 */
export async function markBatchFinal(db: Queryable, batchId: string, status: BatchStatus): Promise<boolean> {
  const [, affected]: [unknown[], number] = await db.query(
    `UPDATE audit_batches SET status = $2, updated_at = now() WHERE id = $1 AND ${FINISHED_OPEN}`,
    [batchId, status],
  );
  return affected > 0;
}

/**
 * Activity: closes the batch with its status and error; counters from the row. Undefined when there is no row.
 * `statusAfterClose`: everything but the status, which stays running until the batch's workflow has closed in Temporal
 * (markBatchFinal); the result still says the status the batch ends with.
 */
export async function closeBatch(tx: Queryable, batchId: string, status: BatchStatus, error: string | null, statusAfterClose = false): Promise<BatchAuditResult | undefined> {
  const [row] = await tx.query(
    `UPDATE audit_batches SET ${COUNTERS_SQL}, status = CASE WHEN $4 THEN status ELSE $2 END, error = $3, updated_at = now(),
       started_at = COALESCE(started_at, now()), finished_at = COALESCE(finished_at, now())
     WHERE id = $1
     RETURNING id, status, total_domains, completed_domains, failed_domains,
       (SELECT count(*)::int FROM jsonb_each(domain_statuses) e WHERE e.value->>'status' = 'cancelled') AS cancelled_domains`,
    [batchId, status, error, statusAfterClose],
  ).then((r: [Array<Pick<BatchRow, 'id' | 'status' | 'total_domains' | 'completed_domains' | 'failed_domains'> & { cancelled_domains: number }>, number]) => r[0]);
  if (!row) return undefined;
  return {
    batchId: row.id,
    status: statusAfterClose ? status : row.status,
    totalDomains: row.total_domains,
    completedDomains: row.completed_domains,
    failedDomains: row.failed_domains,
    cancelledDomains: row.cancelled_domains,
  };
}
