// The summarizing stage: drop rows of pages a re-run no longer found, compute site-level findings as set queries over
// the run's rows (src/db/siteChecks) and store their full lists in site_issues chunk by chunk, then write the execution
// summary, which keeps counts and the top entries only (it is also the workflow result, so it must stay small). Memory
// stays flat whatever the site size: neither the findings nor the comparison with the previous run are held whole.
import { performance } from 'node:perf_hooks';
import { Context } from '@temporalio/activity';
import { nothingAuditedError } from '../audit/records';
import { buildSummary, SiteIssueTally } from '../audit/summary';
import { previousRunId } from '../reports';
import type { RunSummary } from '../workflows/contracts';
import * as runStatus from '../db/runStatusStore';
import * as pages from '../db/repositories/pages';
import * as runs from '../db/repositories/runs';
import type { ActivityDeps } from './deps';
import { analyzeRunTables, storeSiteIssues } from '../db/siteChecks';
import type { SummarizeInput, SummarizeResult } from './types';

/** Heartbeat between steps: a killed worker's summarize is retried after the heartbeat timeout, not its start-to-close. */
function beat(step: string): void {
  try {
    Context.current().heartbeat(step);
  } catch {
    // Called outside an activity (tests, scripts): nothing to tell.
  }
}

export function createSummarizeActivities({ db, log }: Pick<ActivityDeps, 'db'> & Partial<Pick<ActivityDeps, 'log'>>) {
  return {
    async summarize(input: SummarizeInput): Promise<SummarizeResult> {
      const { runId, executionId } = input;
      // Where summarize spends its time, logged once per run (it must stay a small share of the run's wall time).
      const steps: Record<string, number> = {};
      let t = performance.now();
      const step = (name: string) => {
        const now = performance.now();
        steps[name] = Math.round(now - t);
        t = now;
        beat(name);
      };
      await pages.deleteStalePages(db, runId, executionId);
      step('stale');
      // Plans of the site queries must not depend on autovacuum having seen this run yet.
      await db.transaction((tx) => analyzeRunTables(tx));
      step('analyzed');
      // The counts the summary needs run beside the site checks (both only read the run's rows): at 100k pages they
      // took ~0.5 s that the summary otherwise waited for before the first check started.
      const countsStarted = performance.now();
      const counting = Promise.all([pages.summaryCounts(db, runId), pages.findingCodeCounts(db, runId)]).then((r) => {
        steps.counted = Math.round(performance.now() - countsStarted);
        return r;
      });
      // Each check's findings go to site_issues as they come; the summary keeps their tally (counts, top entries).
      const checkMs: Record<string, number> = {};
      const siteIssues = new SiteIssueTally();
      const checking = storeSiteIssues(db, runId, (issues, firstOrdinal) => siteIssues.add(issues, firstOrdinal), (name, ms) => {
        checkMs[name] = ms;
        beat(name);
      });
      const [[agg, issueCounts]] = await Promise.all([counting, checking]);
      step('siteChecks');
      const counts = { audited: agg.audited, failed: agg.failed };
      const failReasons = Object.entries(agg.reasons).map(([reason, count]) => ({ reason, count }));
      const statusCodes = agg.codes.map(([code, count]) => ({ code, count }));
      const runStarted = await runs.runStartedAt(db, runId);
      const startedAt = runStarted ? new Date(runStarted).getTime() : input.startedAt;
      const summary = buildSummary({
        pagesAudited: counts.audited,
        pagesFailed: counts.failed,
        durationMs: Date.now() - startedAt,
        failReasons,
        issueCounts,
        statusCodes,
        siteIssues,
      });
      step('built');
      // What changed since the previous completed run of the same site (by code and page). It goes into the stored
      // summary (API, CLI, dashboard) but not into the workflow result, which stays a function of this run alone.
      const stored: RunSummary = { ...summary };
      const previous = await previousRunId(db, runId);
      if (previous) stored.delta = { previousRunId: previous, ...(await pages.comparisonCounts(db, runId, previous)) };
      step('compared');
      // After the findings are stored: a reader never sees a completed run without its findings. A run that audited
      // nothing is stored as failed (its workflow fails on it): never completed, never a baseline for the next run.
      const failure = nothingAuditedError(counts.audited, counts.failed, summary.topFailReasons[0]?.reason);
      await runStatus.markSummarized(db, runId, stored, counts, failure);
      step('stored');
      const slowest = Object.entries(checkMs).sort((a, b) => b[1] - a[1]).slice(0, 3);
      log?.info({ runId, ms: steps, slowestChecks: Object.fromEntries(slowest) }, 'run summarized');
      return summary;
    },
  };
}
