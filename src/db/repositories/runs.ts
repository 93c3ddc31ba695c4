// The audit_runs aggregate, read side. Every write of status, stage, finish time and error is in ../runStatusStore.ts;
// the page counters are written where the pages are (src/activities/frontier.ts, persist.ts).
import type { AuditStage, RunSummary } from '../../audit/records';
import type { Queryable } from './queryable';

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** One audit_runs row as pg returns it (timestamps as Date, jsonb parsed). */
export type RunRow = {
  id: string;
  workflow_id: string;
  run_key: string;
  site_url: string;
  site_host: string;
  status: RunStatus;
  stage: AuditStage;
  options: Record<string, unknown>;
  execution_id: string | null;
  discovered: number;
  audited: number;
  failed: number;
  persisted: number;
  summary: RunSummary | null;
  error: string | null;
  robots_txt: string | null;
  robots_status: number | null;
  batch_id: string | null;
  fail_reasons: Record<string, number>;
  sitemap_duplicates: unknown;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
};

export async function findRunById(db: Queryable, id: string): Promise<RunRow | undefined> {
  const rows: RunRow[] = await db.query(`SELECT * FROM audit_runs WHERE id = $1`, [id]);
  return rows[0];
}

export async function findRunByWorkflowId(db: Queryable, workflowId: string): Promise<RunRow | undefined> {
  const rows: RunRow[] = await db.query(`SELECT * FROM audit_runs WHERE workflow_id = $1`, [workflowId]);
  return rows[0];
}

/** The id and status of the run a workflow id names (the API reads them back right after starting it). */
export async function runIdAndStatus(db: Queryable, workflowId: string): Promise<Pick<RunRow, 'id' | 'status'> | undefined> {
  const rows: Array<Pick<RunRow, 'id' | 'status'>> = await db.query(`SELECT id, status FROM audit_runs WHERE workflow_id = $1`, [workflowId]);
  return rows[0];
}

export type RunListRow = Pick<RunRow, 'id' | 'workflow_id' | 'site_url' | 'status' | 'stage' | 'error' | 'audited' | 'failed' | 'discovered' | 'created_at' | 'finished_at'>;

/** Newest first, filtered by status and site host when given. */
export async function listRuns(db: Queryable, q: { status?: string | null; siteHost?: string | null; limit: number }): Promise<RunListRow[]> {
  return db.query(
    `SELECT id, workflow_id, site_url, status, stage, error, audited, failed, discovered, created_at, finished_at
       FROM audit_runs WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR site_host = $2)
      ORDER BY created_at DESC LIMIT $3`,
    [q.status ?? null, q.siteHost ?? null, q.limit],
  );
}

/** Open rows not written for `quietMs`, and ended ones (summarized, failed or cancelled), oldest first: a crawl writes
 * its counters every batch, so these are the waiting, the paused, the slow, the ones whose workflow closed without
 * saying so, and ended runs whose closer has not written them yet. */
export async function quietOpenRuns(db: Queryable, quietMs: number, limit: number): Promise<RunRow[]> {
  return db.query(
    `SELECT * FROM audit_runs
      WHERE status IN ('queued', 'running')
        AND (updated_at < now() - make_interval(secs => $1::float8 / 1000) OR summary IS NOT NULL OR stage IN ('failed', 'cancelled'))
      ORDER BY updated_at LIMIT $2`,
    [quietMs, limit],
  );
}

export type CompletedRunRow = Pick<RunRow, 'id' | 'status' | 'summary' | 'created_at' | 'finished_at'>;

/** A site's completed runs, newest first. */
export async function completedRunsOfSite(db: Queryable, siteHost: string, limit: number): Promise<CompletedRunRow[]> {
  return db.query(
    `SELECT id, status, summary, created_at, finished_at FROM audit_runs
      WHERE site_host = $1 AND status = 'completed' ORDER BY created_at DESC LIMIT $2`,
    [siteHost, limit],
  );
}

export type BatchRunRow = Pick<RunRow, 'id' | 'workflow_id' | 'status' | 'audited'>;

/** The runs a batch started, with their live page counts. */
export async function runsOfBatch(db: Queryable, batchId: string): Promise<BatchRunRow[]> {
  return db.query(`SELECT id, workflow_id, status, audited FROM audit_runs WHERE batch_id = $1`, [batchId]);
}

/** initRun: the run's row locked for the transaction, if it exists. */
export async function lockRunByWorkflowId(tx: Queryable, workflowId: string): Promise<Pick<RunRow, 'id' | 'execution_id'> | undefined> {
  const rows: Array<Pick<RunRow, 'id' | 'execution_id'>> = await tx.query(`SELECT id, execution_id FROM audit_runs WHERE workflow_id = $1 FOR UPDATE`, [workflowId]);
  return rows[0];
}

/**
 * A rerun's new execution starts without the previous execution's links and external link answers (page rows stay;
 * image sizes are stamped with their execution; the frontier is emptied by src/activities/frontier.ts, its one writer).
 */
export async function clearExecutionState(tx: Queryable, runId: string): Promise<void> {
  await tx.query(`DELETE FROM page_links WHERE run_id = $1`, [runId]);
  await tx.query(`DELETE FROM external_links WHERE run_id = $1`, [runId]);
}

/** What every audit batch needs of its run: the site and its stored robots.txt. */
export async function runRobots(db: Queryable, runId: string): Promise<Pick<RunRow, 'site_url' | 'robots_txt' | 'robots_status'> | undefined> {
  const rows: Array<Pick<RunRow, 'site_url' | 'robots_txt' | 'robots_status'>> = await db.query(`SELECT site_url, robots_txt, robots_status FROM audit_runs WHERE id = $1`, [runId]);
  return rows[0];
}

/** failClaim: the site and options a run was started with (its failed records are persisted in its scope). */
export async function runSiteAndOptions(db: Queryable, runId: string): Promise<Pick<RunRow, 'site_url' | 'options'> | undefined> {
  const rows: Array<Pick<RunRow, 'site_url' | 'options'>> = await db.query(`SELECT site_url, options FROM audit_runs WHERE id = $1`, [runId]);
  return rows[0];
}

/** recordBatchDomain: a child run's id and page count when the workflow did not learn them. */
export async function runIdAndAudited(db: Queryable, workflowId: string): Promise<Pick<RunRow, 'id' | 'audited'> | undefined> {
  const rows: Array<Pick<RunRow, 'id' | 'audited'>> = await db.query(`SELECT id, audited FROM audit_runs WHERE workflow_id = $1`, [workflowId]);
  return rows[0];
}

/** The nightly schedule's recommendations: a batch's completed runs, oldest first. */
export async function completedRunIdsOfBatch(db: Queryable, batchId: string): Promise<string[]> {
  const rows: Array<Pick<RunRow, 'id'>> = await db.query(`SELECT id FROM audit_runs WHERE batch_id = $1 AND status = 'completed' ORDER BY created_at`, [batchId]);
  return rows.map((r) => r.id);
}

/** Discovery read robots.txt (text only for a 2xx answer; status null when there was no answer). */
export async function storeRobots(db: Queryable, runId: string, robotsText: string | null, robotsStatus: number | null): Promise<void> {
  await db.query(`UPDATE audit_runs SET robots_txt = $2, robots_status = $3, updated_at = now() WHERE id = $1`, [runId, robotsText, robotsStatus]);
}

/** URLs listed by more than one sitemap (null: none), for the sitemap_multiple site check. */
export async function storeSitemapDuplicates(db: Queryable, runId: string, duplicates: Array<{ url: string; sitemaps: string[] }>): Promise<void> {
  await db.query(`UPDATE audit_runs SET sitemap_duplicates = $2 WHERE id = $1`, [runId, duplicates.length > 0 ? JSON.stringify(duplicates) : null]);
}

export async function discoveredCount(db: Queryable, runId: string): Promise<number> {
  const [{ n }]: Array<{ n: number }> = await db.query(`SELECT discovered AS n FROM audit_runs WHERE id = $1`, [runId]);
  return n;
}

export async function runStartedAt(db: Queryable, runId: string): Promise<Date | null> {
  const [row]: Array<Pick<RunRow, 'started_at'>> = await db.query(`SELECT started_at FROM audit_runs WHERE id = $1`, [runId]);
  return row?.started_at ?? null;
}

/** The last completed run of the same site host that finished before `runId` started. */
export async function previousCompletedRunId(db: Queryable, runId: string): Promise<string | null> {
  const [row]: Array<Pick<RunRow, 'id'>> = await db.query(
    `SELECT o.id FROM audit_runs r
       JOIN audit_runs o ON o.site_host = r.site_host AND o.id <> r.id AND o.status = 'completed'
                        AND coalesce(o.finished_at, o.updated_at) <= coalesce(r.started_at, r.created_at)
      WHERE r.id = $1
      ORDER BY coalesce(o.finished_at, o.updated_at) DESC LIMIT 1`,
    [runId],
  );
  return row?.id ?? null;
}
