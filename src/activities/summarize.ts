// The summarizing stage: drop rows of pages a re-run no longer found, compute site-level findings as set queries over
// the run's rows (src/activities/siteChecks), store their full lists in site_issues, and write the execution summary,
// which keeps counts and the top entries only (it is also the workflow result, so it must stay small).
import { Context } from '@temporalio/activity';
import { buildSummary } from '../audit/summary';
import { compareRuns, previousRunId, replaceSiteIssues } from '../reports';
import type { RunSummary, SiteIssue } from '../workflows/contracts';
import type { ActivityDeps } from './deps';
import { analyzeRunTables, computeSiteIssues } from './siteChecks';
import type { SummarizeInput, SummarizeResult } from './types';

/** Heartbeat between steps: a killed worker's summarize is retried after the heartbeat timeout, not its start-to-close. */
function beat(step: string): void {
  try {
    Context.current().heartbeat(step);
  } catch {
    // Called outside an activity (tests, scripts): nothing to tell.
  }
}

export function createSummarizeActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    async summarize(input: SummarizeInput): Promise<SummarizeResult> {
      const { runId, executionId } = input;
      await db.query(`DELETE FROM page_audits WHERE run_id = $1 AND execution_id IS DISTINCT FROM $2`, [runId, executionId]);
      // Plans of the site queries must not depend on autovacuum having seen this run yet.
      await db.transaction((tx) => analyzeRunTables(tx));
      beat('analyzed');
      const [counts] = await db.query(
        `SELECT count(*) FILTER (WHERE status = 'ok')::int AS audited, count(*) FILTER (WHERE status = 'failed')::int AS failed
           FROM page_audits WHERE run_id = $1`,
        [runId],
      );
      const failReasons = await db.query(
        `SELECT failure_reason AS reason, count(*)::int AS count FROM page_audits
          WHERE run_id = $1 AND failure_reason IS NOT NULL GROUP BY failure_reason`,
        [runId],
      );
      const issueCounts = await db.query(
        `SELECT i->>'code' AS code, count(*)::int AS count FROM page_audits p, jsonb_array_elements(p.issues) i
          WHERE p.run_id = $1 GROUP BY 1`,
        [runId],
      );
      const statusCodes = await db.query(
        `SELECT status_code AS code, count(*)::int AS count FROM page_audits WHERE run_id = $1 GROUP BY status_code`,
        [runId],
      );
      beat('counted');
      const siteIssues: SiteIssue[] = await computeSiteIssues(db, runId, beat);
      const [run] = await db.query(`SELECT started_at FROM audit_runs WHERE id = $1`, [runId]);
      const startedAt = run?.started_at ? new Date(run.started_at).getTime() : input.startedAt;
      const summary = buildSummary({
        pagesAudited: counts.audited,
        pagesFailed: counts.failed,
        durationMs: Date.now() - startedAt,
        failReasons,
        issueCounts,
        statusCodes,
        siteIssues,
      });
      // What changed since the previous completed run of the same site (by code and page). It goes into the stored
      // summary (API, CLI, dashboard) but not into the workflow result, which stays a function of this run alone.
      const stored: RunSummary = { ...summary };
      const previous = await previousRunId(db, runId);
      if (previous) {
        const c = await compareRuns(db, runId, previous, siteIssues);
        stored.delta = {
          previousRunId: previous, newFindings: c.newFindings.length, fixedFindings: c.fixedFindings.length,
          persistingFindings: c.persistingFindings.length, pagesAdded: c.pagesAdded.length, pagesRemoved: c.pagesRemoved.length,
        };
      }
      // The full lists and the completed run row together: a reader never sees a completed run without its findings.
      await db.transaction(async (tx) => {
        await replaceSiteIssues(tx, runId, siteIssues);
        await tx.query(
          `UPDATE audit_runs SET summary = $2, status = 'completed', stage = 'completed', audited = $3, failed = $4,
             persisted = $3::int + $4::int, finished_at = now(), updated_at = now() WHERE id = $1`,
          [runId, JSON.stringify(stored), counts.audited, counts.failed],
        );
      });
      return summary;
    },
  };
}
