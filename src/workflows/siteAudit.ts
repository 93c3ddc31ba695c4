// One run of one site: discover → audit in bounded parallel lanes → persist → summarize.
// Deterministic code only; all I/O happens in activities. The frontier lives in PostgreSQL, so history stays
// small, and the workflow continues-as-new (carrying counters only) when the server suggests it.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { CrawlBatchResult } from '../activities/types';
import { nothingAuditedError } from '../audit/records';
import {
  DEFAULT_POLICIES,
  hostOfSiteUrl,
  pauseSignal,
  progressQuery,
  resolveOptions,
  resumeSignal,
  type AuditStage,
  type ProgressView,
  type SiteAuditCarry,
  type SiteAuditInput,
  type SiteAuditResult,
} from './contracts';
import { emitEvent } from './events';
import { startRunCloser } from './closers';
import { AuditStageKey, SiteHostKey } from './searchAttributes';

type Activities = ReturnType<typeof createActivities>;
/** The row a stage change wrote (setStage's answer). */
type StagedRow = Awaited<ReturnType<Activities['setStage']>>;

/** Marker of the image-size step (issue 14). */
const IMAGE_SIZES_PATCH = 'image-sizes';
/** Marker of a run that audited nothing failing instead of completing. */
const NOTHING_AUDITED_PATCH = 'nothing-audited-fails';
/** Marker of the run closer (src/workflows/closers.ts): the row says completed once the workflow has closed. */
const RUN_CLOSER_PATCH = 'run-closer';
/** Marker of the run closer after a failure or a cancellation: the row says failed or cancelled once it has closed. */
const RUN_END_CLOSER_PATCH = 'run-end-closer';
/** Marker of the run closer for a run that ends before initRun (the API's row, found by workflow id). */
const RUN_EARLY_END_CLOSER_PATCH = 'run-early-end-closer';

/**
 * Named activity-option presets, one per retry policy:
 * - bookkeeping: short database writes (run row, stage); retried without limit, a database outage only delays. Its
 *   start-to-close is the heartbeat timeout (at least 10 s), so a worker killed during one holds the run no longer
 *   than it would during a crawl step (it was a minute, twice the default heartbeat timeout).
 * - crawl: one lane step (claim + audit + persist); heartbeats, so a dead worker is noticed within the heartbeat
 *   timeout and the retry resumes from the frontier; a bounded number of attempts, then its URLs are recorded as failed.
 * - discovery: robots.txt and sitemaps, and the optional external link check.
 * - summary: the site-level queries; heartbeats between queries.
 */
function activitiesFor(input: SiteAuditInput) {
  const p = { ...DEFAULT_POLICIES, ...input.policies };
  const bookkeeping = proxyActivities<Activities>({
    startToCloseTimeout: `${Math.max(p.auditHeartbeatTimeoutMs, 10_000)}ms`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: `${p.persistRetryMaxMs}ms` },
  });
  const crawl = proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${p.auditHeartbeatTimeoutMs}ms`,
    retry: {
      initialInterval: `${p.auditRetryInitialMs}ms`,
      backoffCoefficient: 2,
      maximumInterval: `${p.auditRetryMaxMs}ms`,
      maximumAttempts: p.auditRetryMaxAttempts,
      nonRetryableErrorTypes: ['InvalidInput'],
    },
  });
  const discovery = proxyActivities<Activities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: `${Math.max(p.auditHeartbeatTimeoutMs, 30_000)}ms`,
    retry: { initialInterval: `${p.auditRetryInitialMs}ms`, maximumInterval: `${p.auditRetryMaxMs}ms`, maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidInput'] },
  });
  const summary = proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${Math.max(p.auditHeartbeatTimeoutMs, 30_000)}ms`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: `${p.persistRetryMaxMs}ms` },
  });
  // Image sizing waits in the site's politeness gate (Crawl-delay) for up to 5,000 images: a longer budget, heartbeats.
  const images = proxyActivities<Activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: `${Math.max(p.auditHeartbeatTimeoutMs, 30_000)}ms`,
    retry: { initialInterval: `${p.auditRetryInitialMs}ms`, maximumInterval: `${p.auditRetryMaxMs}ms`, maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidInput'] },
  });
  return {
    initRun: bookkeeping.initRun,
    setStage: bookkeeping.setStage,
    failClaim: bookkeeping.failClaim,
    crawlBatch: crawl.crawlBatch,
    discover: discovery.discover,
    checkExternalLinks: discovery.checkExternalLinks,
    checkImageSizes: images.checkImageSizes,
    summarize: summary.summarize,
  };
}

/**
 * Lanes' shared state. The termination rule: the crawl is over when a claim finds nothing claimable, no deferred URL
 * waits, no other lane is inside a crawl step, and no lane finished a batch since that claim began (so every URL any
 * batch added was visible to it).
 */
class LaneState {
  /** Lanes inside a crawl activity (they may still add URLs to the frontier). */
  active = 0;
  /** Bumped whenever a lane finished a non-empty batch: an idle lane looks again. */
  epoch = 0;
  finished = false;
  /** The server suggested continue-as-new: lanes stop after their current batch. */
  rotate = false;
  get stopping(): boolean {
    return this.finished || this.rotate;
  }
}

/** The run's host (hostOfSiteUrl); a siteUrl that is not http(s) fails the run without retries. */
function hostOf(siteUrl: string): string {
  const host = hostOfSiteUrl(siteUrl);
  if (host === null) throw ApplicationFailure.nonRetryable(`siteUrl must be an http(s) URL: ${siteUrl}`, 'InvalidInput');
  return host;
}

export async function siteAuditWorkflow(input: SiteAuditInput, carry?: SiteAuditCarry): Promise<SiteAuditResult> {
  const options = resolveOptions(input);
  const acts = activitiesFor(input);
  const info = workflowInfo();
  const host = hostOf(input.siteUrl);
  const state: SiteAuditCarry = carry ?? {
    runId: '',
    executionId: info.firstExecutionRunId,
    startedAt: Date.now(),
    claimSeq: 0,
    counters: { discovered: 0, audited: 0, failed: 0, persisted: 0 },
    failReasons: {},
    continuedAsNew: 0,
    paused: false,
  };
  let stage: AuditStage = carry ? 'auditing' : 'discovering';

  const progress = (): ProgressView => {
    const c = state.counters;
    const done = c.audited + c.failed;
    const elapsedMs = Date.now() - state.startedAt;
    const perMinute = elapsedMs > 0 ? (done / elapsedMs) * 60_000 : 0;
    const remaining = Math.max(0, c.discovered - done);
    return {
      stage,
      discovered: c.discovered,
      audited: c.audited,
      failed: c.failed,
      persisted: c.persisted,
      percent: stage === 'completed' ? 100 : c.discovered > 0 ? Math.min(99, Math.floor((done / c.discovered) * 100)) : 0,
      pagesPerMinute: Math.round(perMinute * 10) / 10,
      startedAt: new Date(state.startedAt).toISOString(),
      elapsedMs,
      etaMs: perMinute > 0 ? Math.round((remaining / perMinute) * 60_000) : null,
      topFailReasons: Object.entries(state.failReasons)
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
        .slice(0, 5),
      paused: state.paused,
      continuedAsNew: state.continuedAsNew,
      runId: state.runId || null,
    };
  };
  setHandler(progressQuery, progress);
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => void (state.paused = false));

  const enterStage = async (next: AuditStage, error?: string, statusAfterClose = false): Promise<StagedRow | null> => {
    stage = next;
    upsertSearchAttributes([{ key: AuditStageKey, value: next }]);
    setCurrentDetails(`**${next}** · ${state.counters.audited} audited, ${state.counters.failed} failed of ${state.counters.discovered} discovered`);
    // A run cancelled or failed before initRun finished still has its API-created row: find it by workflow id.
    if (state.runId || next === 'cancelled' || next === 'failed') {
      return (await acts.setStage({ runId: state.runId, workflowId: info.workflowId, stage: next, error, ...(statusAfterClose ? { statusAfterClose } : {}) })) ?? null;
    }
    return null;
  };
  const apply = (r: CrawlBatchResult) => {
    // Lanes finish out of order: counters only grow within an execution, so keep the larger of each.
    const c = state.counters;
    state.counters = {
      discovered: Math.max(c.discovered, r.counters.discovered),
      audited: Math.max(c.audited, r.counters.audited),
      failed: Math.max(c.failed, r.counters.failed),
      persisted: Math.max(c.persisted, r.counters.persisted),
    };
    const total = (x: Record<string, number>) => Object.values(x).reduce((a, b) => a + b, 0);
    if (total(r.failReasons) >= total(state.failReasons)) state.failReasons = r.failReasons;
    setCurrentDetails(`**${stage}** · ${state.counters.audited} audited, ${state.counters.failed} failed of ${state.counters.discovered} discovered`);
  };

  /** One lane step; if the crawl activity gives up for good, its URLs are recorded as failed and the run goes on. */
  const crawlStep = async (claimToken: string): Promise<CrawlBatchResult> => {
    const args = { runId: state.runId, executionId: state.executionId, claimToken, siteUrl: input.siteUrl, options };
    try {
      return await acts.crawlBatch(args);
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      const detail = String(err.cause?.message ?? err.message);
      log.warn('crawl batch gave up; recording its URLs as failed', { claimToken, error: detail });
      return acts.failClaim({ runId: state.runId, executionId: state.executionId, claimToken, reason: 'audit_failed', detail });
    }
  };

  try {
    if (!carry) {
      upsertSearchAttributes([{ key: SiteHostKey, value: host }]);
      await enterStage('discovering');
      state.runId = await acts.initRun({
        workflowId: info.workflowId,
        runKey: input.runKey ?? info.workflowId,
        siteUrl: input.siteUrl,
        executionId: state.executionId,
        options,
        batchId: input.batchId,
      });
      const found = await acts.discover({ runId: state.runId, siteUrl: input.siteUrl, options });
      state.counters.discovered = found.discovered;
      await enterStage('auditing');
    }

    // Lanes: each runs crawl steps until the crawl is over or the history asks for a fresh run.
    const lanes = new LaneState();
    const lane = async () => {
      while (!lanes.stopping) {
        await condition(() => !state.paused || lanes.stopping);
        if (lanes.stopping) return;
        const claimToken = `${state.executionId}:${state.claimSeq++}`;
        const epoch = lanes.epoch;
        lanes.active++;
        const r = await crawlStep(claimToken);
        lanes.active--;
        apply(r);
        if (workflowInfo().continueAsNewSuggested) lanes.rotate = true;
        if (r.claimed > 0) {
          lanes.epoch++;
        } else if (lanes.active > 0 || lanes.epoch !== epoch) {
          // Nothing to claim now, but a lane that is busy, or finished a batch after this claim began, may have added
          // URLs: look again once one finishes (at once if one already has).
          await condition(() => lanes.stopping || lanes.epoch !== epoch || lanes.active === 0);
        } else if (r.retryInMs !== null) {
          // Only deferred URLs are left (an open circuit): wait until the first may be tried again.
          await sleep(Math.min(Math.max(r.retryInMs, 100), 60_000));
        } else {
          lanes.finished = true;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.parallelBatches) }, () => lane()));
    const finished = lanes.finished;

    if (!finished) {
      // History got long: start a fresh run of this workflow with only the counters, after handlers finish.
      await condition(allHandlersFinished);
      state.continuedAsNew++;
      await continueAsNew<typeof siteAuditWorkflow>(input, state);
    }

    await enterStage('summarizing');
    if (options.checkExternalLinks) {
      // Optional: each distinct external link target checked once; a failure here costs the findings, not the run.
      await acts.checkExternalLinks({ runId: state.runId, options }).catch((err: unknown) => {
        if (isCancellation(err)) throw err;
        log.warn('external link check gave up', { error: String((err as Error).message ?? err) });
      });
    }
    // Added after histories were recorded: patched() keeps runs started before it replaying the way they ran.
    if (options.checkImageSizes && patched(IMAGE_SIZES_PATCH)) {
      // Optional: each distinct image of the site sized once; a failure here costs the findings, not the run.
      await acts.checkImageSizes({ runId: state.runId, executionId: state.executionId, options }).catch((err: unknown) => {
        if (isCancellation(err)) throw err;
        log.warn('image size check gave up', { error: String((err as Error).message ?? err) });
      });
    }
    const summary = await acts.summarize({ runId: state.runId, executionId: state.executionId, startedAt: state.startedAt });
    state.counters = { discovered: state.counters.discovered, audited: summary.pagesAudited, failed: summary.pagesFailed, persisted: summary.pagesAudited + summary.pagesFailed };
    // A run that audited nothing (the site down, or unreachable from here) fails, with the summary that says why: a
    // completed audit of nothing would pass a build gate and become the baseline the next run's "new findings" count
    // from. Summarize has already stored it as failed. patched(): runs started before this replay the way they ran.
    const nothing = nothingAuditedError(summary.pagesAudited, summary.pagesFailed, summary.topFailReasons[0]?.reason);
    if (nothing && patched(NOTHING_AUDITED_PATCH)) throw ApplicationFailure.nonRetryable(nothing, 'NothingAudited');
    stage = 'completed';
    upsertSearchAttributes([{ key: AuditStageKey, value: 'completed' }]);
    setCurrentDetails(`**completed** · ${summary.pagesAudited} audited, ${summary.pagesFailed} failed, success ${Math.round(summary.successRate * 1000) / 10}%`);
    // The row says completed only after this execution has (its closer writes it); patched(): runs started before
    // the closer existed replay the way they ran.
    await Promise.all([
      patched(RUN_CLOSER_PATCH) ? startRunCloser(state.runId, state.executionId) : undefined,
      emitEvent({
        type: 'run.completed',
        subjectId: state.runId,
        siteUrl: input.siteUrl,
        data: { pagesAudited: summary.pagesAudited, pagesFailed: summary.pagesFailed, successRate: summary.successRate, durationMs: summary.durationMs, topFailReasons: summary.topFailReasons.slice(0, 5) },
      }),
    ]);
    return { ...summary, runId: state.runId, siteUrl: input.siteUrl };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const cancelled = isCancellation(err);
    // The row's stage says how the run ends; its status says so once the workflow has closed (its closer writes it), as
    // for a completed run. A run that ends before initRun learns its row from the stage change (it keeps its status,
    // queued, until then). patched(): runs that ended before this replay the way they ran.
    const early = state.runId === '' && patched(RUN_EARLY_END_CLOSER_PATCH);
    const closer = early || (state.runId !== '' && patched(RUN_END_CLOSER_PATCH));
    const row = await CancellationScope.nonCancellable(() =>
      enterStage(cancelled ? 'cancelled' : 'failed', cancelled ? undefined : String((err as Error).message ?? err), closer),
    );
    // The row to end: initRun's, or the one the stage change found (none when the run has no row at all).
    const closing = !closer ? undefined
      : !early ? startRunCloser(state.runId, state.executionId)
      : row ? startRunCloser(row.id, row.execution_id, 'queued') : undefined;
    await Promise.all([
      closing,
      cancelled
        ? undefined
        : emitEvent({ type: 'run.failed', subjectId: state.runId, siteUrl: input.siteUrl, error: failureText(err), data: { stage, ...state.counters } }),
    ]);
    throw err;
  }
}

/** The innermost message of a workflow failure (an activity's own error rather than "Activity task failed"). */
function failureText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; cause?: { message?: string } } };
  return String(e?.cause?.cause?.message ?? e?.cause?.message ?? e?.message ?? err).slice(0, 2000);
}
