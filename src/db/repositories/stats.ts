// Counts over all runs, pages and batches for the metrics endpoints (GET /api/metrics and the Prometheus gauges).
import type { Queryable } from './queryable';

export async function runsByStatus(db: Queryable): Promise<Array<{ status: string; n: number }>> {
  return db.query(`SELECT status, count(*)::int AS n FROM audit_runs GROUP BY status`);
}

export async function batchesByStatus(db: Queryable): Promise<Array<{ status: string; n: number }>> {
  return db.query(`SELECT status, count(*)::int AS n FROM audit_batches GROUP BY status`);
}

/** Audited and failed pages over all runs, from the runs' counters (bigint sums: strings). */
export async function pageTotals(db: Queryable): Promise<{ ok: string; failed: string }> {
  const [r] = await db.query(`SELECT COALESCE(sum(audited), 0)::bigint AS ok, COALESCE(sum(failed), 0)::bigint AS failed FROM audit_runs`);
  return r;
}

export async function failedPagesByReason(db: Queryable): Promise<Array<{ reason: string; n: number }>> {
  return db.query(
    `SELECT failure_reason AS reason, count(*)::int AS n FROM page_audits WHERE status = 'failed' AND failure_reason IS NOT NULL GROUP BY failure_reason`,
  );
}

export interface JobTotals {
  total: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** bigint sums: strings. */
  finished_failed_pages: string;
  finished_pages: string;
  avg_ms: number;
}

/** Runs by status, the pages of finished runs (all and failed), and the mean processing time of completed runs. */
export async function jobTotals(db: Queryable): Promise<JobTotals> {
  const [r] = await db.query(`
    SELECT count(*)::int AS total,
           count(*) FILTER (WHERE status = 'queued')::int AS queued,
           count(*) FILTER (WHERE status = 'running')::int AS running,
           count(*) FILTER (WHERE status = 'completed')::int AS completed,
           count(*) FILTER (WHERE status = 'failed')::int AS failed,
           count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
           COALESCE(sum(failed) FILTER (WHERE status IN ('completed', 'failed', 'cancelled')), 0)::bigint AS finished_failed_pages,
           COALESCE(sum(audited + failed) FILTER (WHERE status IN ('completed', 'failed', 'cancelled')), 0)::bigint AS finished_pages,
           COALESCE(avg(EXTRACT(EPOCH FROM (finished_at - started_at)) * 1000)
             FILTER (WHERE status = 'completed' AND started_at IS NOT NULL AND finished_at IS NOT NULL), 0)::float8 AS avg_ms
      FROM audit_runs`);
  return r;
}

export async function pagesAuditedLastHour(db: Queryable): Promise<number> {
  const [t]: Array<{ n: number }> = await db.query(`SELECT count(*)::int AS n FROM page_audits WHERE audited_at > now() - interval '60 minutes'`);
  return t.n;
}
