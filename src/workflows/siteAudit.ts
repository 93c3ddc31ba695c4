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
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { failedPageRecord } from '../audit/records';
import type { PageRecord, PersistResult } from '../activities/types';
import {
  DEFAULT_POLICIES,
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
import { AuditStageKey, SiteHostKey } from './searchAttributes';

type Activities = ReturnType<typeof createActivities>;

function activitiesFor(input: SiteAuditInput) {
  const p = { ...DEFAULT_POLICIES, ...input.policies };
  const short = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: `${p.persistRetryMaxMs}ms` },
  });
  const audit = proxyActivities<Activities>({
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
  // Persist and claim retry without limit: a database outage delays the run, it never loses a page.
  const persist = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: `${p.persistRetryMaxMs}ms` },
  });
  const discover = proxyActivities<Activities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: `${Math.max(p.auditHeartbeatTimeoutMs, 30_000)}ms`,
    retry: { initialInterval: `${p.auditRetryInitialMs}ms`, maximumInterval: `${p.auditRetryMaxMs}ms`, maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidInput'] },
  });
  return {
    initRun: short.initRun,
    setStage: short.setStage,
    summarize: short.summarize,
    claimBatch: persist.claimBatch,
    persistBatch: persist.persistBatch,
    auditBatch: audit.auditBatch,
    discover: discover.discover,
    checkExternalLinks: discover.checkExternalLinks,
  };
}

/** Host as the API names it (siteHostOf): lower-cased, with a non-default port. */
function hostOf(siteUrl: string): string {
  const m = /^(https?):\/\/(?:[^@/?#]*@)?([^/?#]+)/i.exec(siteUrl);
  if (!m) throw ApplicationFailure.nonRetryable(`siteUrl must be an http(s) URL: ${siteUrl}`, 'InvalidInput');
  const defaultPort = m[1].toLowerCase() === 'https' ? ':443' : ':80';
  const host = m[2].toLowerCase();
  return host.endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host;
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

  const enterStage = async (next: AuditStage, error?: string) => {
    stage = next;
    upsertSearchAttributes([{ key: AuditStageKey, value: next }]);
    setCurrentDetails(`**${next}** · ${state.counters.audited} audited, ${state.counters.failed} failed of ${state.counters.discovered} discovered`);
    // A run cancelled or failed before initRun finished still has its API-created row: find it by workflow id.
    if (state.runId || next === 'cancelled' || next === 'failed') {
      await acts.setStage({ runId: state.runId, workflowId: info.workflowId, stage: next, error });
    }
  };
  const applyPersist = (r: PersistResult) => {
    state.counters = r.counters;
    state.failReasons = r.failReasons;
    setCurrentDetails(`**${stage}** · ${r.counters.audited} audited, ${r.counters.failed} failed of ${r.counters.discovered} discovered`);
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

    // Lanes: each claims a batch, audits it, persists it, and loops. `active` counts lanes holding claimed work,
    // so a lane that finds the frontier empty knows the crawl is over only when no other lane can still add URLs.
    let active = 0;
    let persistEpoch = 0;
    let finished = false;
    let rotate = false;
    const persistOpts = {
      maxPages: options.maxPages, maxDepth: options.maxDepth, followLinks: options.followLinks,
      persistBatchSize: options.persistBatchSize, include: options.include, exclude: options.exclude,
      subdomainsInternal: options.subdomainsInternal,
      followNofollow: options.followNofollow,
    };
    const lane = async () => {
      while (!finished && !rotate) {
        await condition(() => !state.paused || finished || rotate);
        if (finished || rotate) return;
        const claimToken = `${state.executionId}:${state.claimSeq++}`;
        active++;
        const epoch = persistEpoch;
        const urls = await acts.claimBatch({ runId: state.runId, claimToken, size: options.auditBatchSize });
        if (urls.length === 0) {
          active--;
          if (active === 0) {
            finished = true;
            return;
          }
          await condition(() => finished || rotate || persistEpoch !== epoch || active === 0);
          continue;
        }
        let records: PageRecord[];
        try {
          records = (await acts.auditBatch({ runId: state.runId, claimToken, urls, options })).records;
        } catch (err) {
          if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
          log.warn('audit batch gave up; recording its URLs as failed', { claimToken, error: String(err.cause?.message ?? err.message) });
          records = urls.map((u) => failedPageRecord(u, 'audit_failed', String(err.cause?.message ?? err.message), 0));
        }
        applyPersist(await acts.persistBatch({ runId: state.runId, executionId: state.executionId, records, options: persistOpts, siteUrl: input.siteUrl }));
        persistEpoch++;
        active--;
        if (workflowInfo().continueAsNewSuggested) rotate = true;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.parallelBatches) }, () => lane()));

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
    const summary = await acts.summarize({ runId: state.runId, executionId: state.executionId, startedAt: state.startedAt });
    state.counters = { discovered: state.counters.discovered, audited: summary.pagesAudited, failed: summary.pagesFailed, persisted: summary.pagesAudited + summary.pagesFailed };
    stage = 'completed';
    upsertSearchAttributes([{ key: AuditStageKey, value: 'completed' }]);
    setCurrentDetails(`**completed** · ${summary.pagesAudited} audited, ${summary.pagesFailed} failed, success ${Math.round(summary.successRate * 1000) / 10}%`);
    return { ...summary, runId: state.runId, siteUrl: input.siteUrl };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const cancelled = isCancellation(err);
    await CancellationScope.nonCancellable(() =>
      enterStage(cancelled ? 'cancelled' : 'failed', cancelled ? undefined : String((err as Error).message ?? err)),
    );
    throw err;
  }
}
