// A run's lifecycle in one place (issue 15): every write of audit_runs.status, stage, finished_at and error goes
// through these functions. Page counters are written where the pages are (frontier.ts, persist.ts); the final counts
// go with markSummarized because a completed row and its counts must appear together.
import type { AuditStage } from '../audit/records';
import type { Queryable } from './repositories/queryable';

const TERMINAL: ReadonlySet<AuditStage> = new Set(['completed', 'failed', 'cancelled']);

export interface NewRunRow {
  workflowId: string;
  runKey: string;
  siteUrl: string;
  siteHost: string;
  options: unknown;
  batchId?: string | null;
}

/** API: the row exists before its workflow does (queued). Returns its id, or null when the workflow id has one already. */
export async function insertQueued(db: Queryable, run: NewRunRow): Promise<string | null> {
  const inserted: Array<{ id: string }> = await db.query(
    `INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, status, stage, options, batch_id)
     VALUES ($1, $2, $3, $4, 'queued', 'queued', $5, $6) ON CONFLICT (workflow_id) DO NOTHING RETURNING id`,
    [run.workflowId, run.runKey, run.siteUrl, run.siteHost, JSON.stringify(run.options), run.batchId ?? null],
  );
  return inserted[0]?.id ?? null;
}

/** API: an explicit rerun of a closed run shows queued again until its new execution starts. */
export async function requeueClosed(db: Queryable, workflowId: string): Promise<void> {
  await db.query(`UPDATE audit_runs SET status = 'queued', stage = 'queued', updated_at = now() WHERE workflow_id = $1 AND status IN ('completed','failed','cancelled')`, [workflowId]);
}

/** API: a queued row whose workflow never started is removed again. */
export async function deleteQueued(db: Queryable, workflowId: string): Promise<void> {
  await db.query(`DELETE FROM audit_runs WHERE workflow_id = $1 AND status = 'queued'`, [workflowId]);
}

/** initRun without an API-created row: the row is created running (discovering). Returns its id. */
export async function insertRunning(tx: Queryable, run: NewRunRow & { executionId: string }): Promise<string> {
  const [row] = await tx.query(
    `INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, status, stage, options, execution_id, batch_id, started_at)
     VALUES ($1, $2, $3, $4, 'running', 'discovering', $5, $6, $7, now())
     ON CONFLICT (workflow_id) DO UPDATE SET updated_at = now() RETURNING id`,
    [run.workflowId, run.runKey, run.siteUrl, run.siteHost, JSON.stringify(run.options), run.executionId, run.batchId ?? null],
  );
  return row.id as string;
}

/** A new execution of the same workflow id (a rerun) starts the row afresh: no finish time, error, summary or counts. */
export async function resetForExecution(tx: Queryable, runId: string, executionId: string): Promise<void> {
  await tx.query(
    `UPDATE audit_runs SET execution_id = $2, started_at = now(), finished_at = NULL, summary = NULL, error = NULL,
       discovered = 0, audited = 0, failed = 0, persisted = 0, fail_reasons = '{}'::jsonb WHERE id = $1`,
    [runId, executionId],
  );
}

/** initRun on an existing row: running, discovering, with this execution's options. */
export async function markRunning(tx: Queryable, runId: string, options: unknown, batchId?: string | null): Promise<void> {
  await tx.query(
    `UPDATE audit_runs SET status = 'running', stage = 'discovering', options = $2, batch_id = COALESCE($3, batch_id), updated_at = now() WHERE id = $1`,
    [runId, JSON.stringify(options), batchId ?? null],
  );
}

/** Discovery done (same transaction as its enqueue): the run is auditing. */
export async function markAuditing(tx: Queryable, runId: string): Promise<void> {
  await tx.query(`UPDATE audit_runs SET stage = 'auditing', updated_at = now() WHERE id = $1`, [runId]);
}

/** The row a stage change wrote: what a closer needs to end it (its id, the execution it names, its status now). */
export interface StagedRow {
  id: string;
  execution_id: string | null;
  status: 'queued' | 'running' | AuditStage;
}

/**
 * The workflow's stage changes. Terminal stages set finished_at and are also the status, unless `statusAfterClose`:
 * then the status stays as it is, its stage saying how the run ends, until its workflow has closed (markClosedOutside,
 * markEnded; issue 9: the database says a run ended only when its workflow has). Any other stage means running.
 * `runId` is empty until initRun has run: then the row is found by workflow id (the API's queued row, or a rerun's
 * row), and with `statusAfterClose` it stays queued, its updated_at too: readers match a queued row to the execution
 * started after it was queued (runService's settledRow). Returns the row written, if any.
 */
export async function setStage(db: Queryable, ref: { runId: string; workflowId?: string }, stage: AuditStage, error?: string, statusAfterClose = false): Promise<StagedRow | null> {
  const terminal = TERMINAL.has(stage);
  const status = terminal && !statusAfterClose ? stage : terminal && ref.runId === '' ? null : 'running';
  const [rows]: [StagedRow[], number] = await db.query(
    `UPDATE audit_runs SET stage = $2, status = COALESCE($3, status), error = COALESCE($4, error),
       updated_at = CASE WHEN $3::text IS NULL THEN updated_at ELSE now() END,
       finished_at = CASE WHEN $5 THEN now() ELSE finished_at END
     WHERE ($1 <> '' AND id::text = $1) OR ($1 = '' AND workflow_id = $6)
     RETURNING id::text AS id, execution_id, status`,
    [ref.runId, stage, status, error ?? null, terminal, ref.workflowId ?? ''],
  );
  return rows[0] ?? null;
}

/**
 * Summarize: the summary and the final counts in one statement, the row still running (stage summarizing) until its
 * workflow has completed in Temporal: markCompleted then says so (issue 9: the database says completed only when the
 * workflow is). With `failure` (a run that audited nothing) its stage says failed: its workflow fails next, and the row
 * says so once it has.
 */
export async function markSummarized(tx: Queryable, runId: string, summary: unknown, counts: { audited: number; failed: number }, failure: string | null = null): Promise<void> {
  await tx.query(
    `UPDATE audit_runs SET summary = $2, status = 'running', stage = $5, error = COALESCE($6, error), audited = $3, failed = $4,
       persisted = $3::int + $4::int, finished_at = now(), updated_at = now() WHERE id = $1`,
    [runId, JSON.stringify(summary), counts.audited, counts.failed, failure ? 'failed' : 'summarizing', failure],
  );
}

/** A summarized row stays running until its workflow has completed; a row in that state is this. */
const SUMMARIZED_OPEN = `status = 'running' AND summary IS NOT NULL AND stage = 'summarizing'`;
/**
 * A row whose workflow has ended it (failed, or cancelled and stopped) and not closed yet: its stage says how. Queued
 * when the run ended before initRun took the row over.
 */
const ENDED_OPEN = `status IN ('queued', 'running') AND stage IN ('failed', 'cancelled')`;

/**
 * The run's workflow has completed in Temporal (seen by the run's closer workflow, a reader, or the batch that awaited
 * it): its summarized row says completed. `executionId`: the execution the row must still name (null: any). True when
 * it wrote.
 */
export async function markCompleted(db: Queryable, runId: string, executionId: string | null): Promise<boolean> {
  const [, affected]: [unknown[], number] = await db.query(
    `UPDATE audit_runs SET status = 'completed', stage = 'completed', updated_at = now()
      WHERE id = $1 AND ${SUMMARIZED_OPEN} AND ($2::text IS NULL OR execution_id = $2::text)`,
    [runId, executionId],
  );
  return affected > 0;
}

/**
 * The run's workflow has closed the way its row's stage says (failed or cancelled): a batch that awaited it knows. Its
 * status says so now, whether or not its closer has written it yet. True when it wrote.
 */
export async function markEnded(db: Queryable, runId: string): Promise<boolean> {
  const [, affected]: [unknown[], number] = await db.query(
    `UPDATE audit_runs SET status = stage, updated_at = now() WHERE id = $1 AND ${ENDED_OPEN}`,
    [runId],
  );
  return affected > 0;
}

/**
 * A batch's child run that completed its workflow but audited nothing (a run started before such runs fail, or a row
 * summarized before that): its row says failed, like the batch.
 */
export async function markCompletedAsFailed(tx: Queryable, runId: string, error: string | null): Promise<void> {
  await tx.query(
    `UPDATE audit_runs SET status = 'failed', stage = 'failed', error = COALESCE(error, $2), updated_at = now()
      WHERE id = $1 AND (status = 'completed' OR (${SUMMARIZED_OPEN}))`,
    [runId, error],
  );
}

/**
 * The run's workflow closed other than completed (src/temporal/closedExecution.ts): its row ends as it did, if it is
 * still as `seen` (open, naming the same execution: for a queued row none yet, or the one before a rerun). When the
 * workflow's own code ended it (`close.byWorkflow`: it failed, or was cancelled) the row keeps the error and finish
 * time that code wrote; when Temporal did (terminated, timed out) Temporal's reason replaces them. True when it wrote.
 */
export async function markClosedOutside(
  db: Queryable,
  runId: string,
  seen: { status: 'queued' | 'running'; executionId: string | null },
  close: { status: 'failed' | 'cancelled'; error: string; byWorkflow: boolean },
): Promise<boolean> {
  // A cancelled run has no error of its own; a failed one that somehow has none gets Temporal's.
  const fallback = close.byWorkflow && close.status === 'cancelled' ? null : close.error;
  // TypeORM answers an UPDATE with [rows, affected].
  const [, affected]: [unknown[], number] = await db.query(
    `UPDATE audit_runs SET status = $3, stage = $3, updated_at = now(),
       error = CASE WHEN $6 THEN COALESCE(error, $4) ELSE $4 END,
       finished_at = CASE WHEN $6 THEN COALESCE(finished_at, now()) ELSE now() END
      WHERE id = $1 AND execution_id IS NOT DISTINCT FROM $2::text AND status = $5`,
    [runId, seen.executionId, close.status, fallback, seen.status, close.byWorkflow],
  );
  return affected > 0;
}
