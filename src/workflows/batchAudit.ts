// Many domains, one child siteAuditWorkflow each, at most `maxConcurrentSites` at once (a sliding window).
//
// Bounded history: every domain's outcome is written to the audit_batches row by an idempotent activity as soon as its
// child closes, so the workflow carries only a cursor and counters. After `maxDomainsPerRun` children (or when the
// server suggests it) the workflow stops starting children, waits for the ones in flight (at most maxConcurrentSites)
// and continues-as-new with the cursor. Draining first keeps the children REQUEST_CANCEL-bound to a live parent, so
// cancelling the batch always reaches every running child, and no child result has to be routed to a later run (the
// ABANDON + signal alternative needs both). The cost is one short lull of the window per `maxDomainsPerRun` domains.
import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { nothingAuditedError } from '../audit/records';
import { startBatchCloser } from './closers';
import { emitEvent } from './events';
import {
  DEFAULT_MAX_CONCURRENT_SITES,
  DEFAULT_MAX_DOMAINS_PER_RUN,
  batchChildWorkflowId,
  batchProgressQuery,
  hostOfSiteUrl,
  type BatchAuditCarry,
  type BatchAuditInput,
  type BatchAuditResult,
  type BatchProgressView,
  type BatchStatus,
  type DomainStatus,
  type SiteAuditInput,
  type SiteAuditResult,
} from './contracts';
import { AuditStageKey, SiteHostKey } from './searchAttributes';
import { siteAuditWorkflow } from './siteAudit';

type Activities = ReturnType<typeof createActivities>;

/** Marker of the batch closer (src/workflows/closers.ts): the row says its final status once the workflow has closed. */
const BATCH_CLOSER_PATCH = 'batch-closer';
/** Marker of the batch closer after a failure or a cancellation. */
const BATCH_END_CLOSER_PATCH = 'batch-end-closer';

// Bookkeeping on PostgreSQL: retried without limit (a database outage delays the batch, never loses a result). Single
// row writes: 30 s (the default heartbeat timeout) bounds what a worker killed during one holds the batch up.
const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
});

/** A child that completed but audited nothing (unreachable, DNS, every page failing) counts as a failed domain. */
function classify(r: SiteAuditResult, workflowId: string): DomainStatus {
  const base = { runId: r.runId, pagesAudited: r.pagesAudited, workflowId };
  const error = nothingAuditedError(r.pagesAudited, r.pagesFailed, r.topFailReasons[0]?.reason);
  return error ? { ...base, status: 'failed', error } : { ...base, status: 'completed', error: null };
}

function errorMessage(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; cause?: { message?: string } } };
  // ChildWorkflowFailure → ApplicationFailure (the child's own error) → maybe the activity's failure.
  return String(e?.cause?.cause?.message ?? e?.cause?.message ?? e?.message ?? err).slice(0, 2000);
}

export async function batchAuditWorkflow(input: BatchAuditInput, carry?: BatchAuditCarry): Promise<BatchAuditResult> {
  const info = workflowInfo();
  const total = input.domains.length;
  const maxConcurrent = Math.max(1, Math.floor(input.maxConcurrentSites ?? DEFAULT_MAX_CONCURRENT_SITES));
  const perRun = Math.max(1, Math.floor(input.maxDomainsPerRun ?? DEFAULT_MAX_DOMAINS_PER_RUN));
  if (!input.batchId) throw ApplicationFailure.nonRetryable('batchId is required', 'InvalidInput');
  const state: BatchAuditCarry = carry ?? { cursor: 0, completed: 0, failed: 0, cancelled: 0, startedAt: Date.now(), continuedAsNew: 0 };
  let status: BatchStatus = 'running';
  let inFlight = 0;
  /** In-flight domains and those finished during this run; earlier outcomes are in the audit_batches row. */
  const recent: Record<string, DomainStatus> = {};
  const pending: Array<Promise<void>> = [];

  const done = () => state.completed + state.failed + state.cancelled;
  const view = (): BatchProgressView => ({
    batchId: input.batchId,
    status,
    totalDomains: total,
    completedDomains: state.completed,
    failedDomains: state.failed,
    cancelledDomains: state.cancelled,
    progress: total === 0 ? 100 : Math.floor((done() / total) * 100),
    cursor: state.cursor,
    domainStatuses: recent,
    startedAt: new Date(state.startedAt).toISOString(),
    continuedAsNew: state.continuedAsNew,
  });
  setHandler(batchProgressQuery, view);
  const details = () =>
    setCurrentDetails(`**${status}** · ${done()}/${total} domains done (${state.completed} completed, ${state.failed} failed), ${inFlight} in flight`);

  const runDomain = async (siteUrl: string): Promise<void> => {
    const host = hostOfSiteUrl(siteUrl);
    const workflowId = host ? batchChildWorkflowId(host, input.batchId) : '';
    recent[siteUrl] = { status: 'running', runId: null, pagesAudited: 0, error: null, workflowId };
    let outcome: DomainStatus;
    try {
      if (!host) throw ApplicationFailure.nonRetryable(`not an http(s) URL: ${siteUrl}`, 'InvalidInput');
      const childInput: SiteAuditInput = { ...input.options, siteUrl, runKey: `batch-${input.batchId}`, policies: input.policies, batchId: input.batchId };
      const result = await executeChild(siteAuditWorkflow, {
        workflowId,
        args: [childInput],
        // Cancelling (or terminating) the batch cancels its children; a cancel of the parent's scope reaches them too.
        parentClosePolicy: 'REQUEST_CANCEL',
        typedSearchAttributes: [
          { key: SiteHostKey, value: host },
          { key: AuditStageKey, value: 'queued' },
        ],
        staticSummary: `SEO audit of ${siteUrl} (batch ${input.batchId})`,
      });
      outcome = classify(result, workflowId);
    } catch (err) {
      if (isCancellation(err)) outcome = { status: 'cancelled', runId: null, pagesAudited: 0, error: 'cancelled', workflowId };
      else {
        // An outcome the batch records per domain (the site down, nothing audited), not a fault of the worker.
        log.info('batch domain failed', { siteUrl, error: errorMessage(err) });
        outcome = { status: 'failed', runId: null, pagesAudited: 0, error: errorMessage(err), workflowId };
      }
    }
    // Recorded even when the batch is being cancelled: the row must say what happened to every domain.
    const stored = await CancellationScope.nonCancellable(() => acts.recordBatchDomain({ batchId: input.batchId, domain: siteUrl, result: outcome }));
    recent[siteUrl] = stored;
    if (stored.status === 'completed') state.completed++;
    else if (stored.status === 'cancelled') state.cancelled++;
    else state.failed++;
    inFlight--;
    details();
  };

  try {
    if (!carry) {
      await acts.startBatch({ batchId: input.batchId, workflowId: info.workflowId, domains: input.domains, options: input.options ?? {} });
    }
    details();
    let startedThisRun = 0;
    while (state.cursor < total) {
      await condition(() => inFlight < maxConcurrent);
      if (startedThisRun >= perRun || workflowInfo().continueAsNewSuggested) break;
      const siteUrl = input.domains[state.cursor++];
      startedThisRun++;
      inFlight++;
      pending.push(runDomain(siteUrl));
      details();
    }
    await Promise.all(pending);

    if (state.cursor < total) {
      await condition(allHandlersFinished);
      state.continuedAsNew++;
      await continueAsNew<typeof batchAuditWorkflow>(input, state);
    }

    const allFailed = total > 0 && state.completed === 0;
    // The row's final status is written by the batch's closer once this execution has completed; patched(): batches
    // started before the closer existed replay the way they ran.
    const closer = patched(BATCH_CLOSER_PATCH);
    const final = await acts.finishBatch({
      batchId: input.batchId,
      status: allFailed ? 'failed' : 'completed',
      error: allFailed ? `all ${total} domains failed` : null,
      ...(closer ? { statusAfterClose: true } : {}),
    });
    status = final.status;
    details();
    await Promise.all([
      closer ? startBatchCloser(input.batchId, final.status) : undefined,
      emitEvent({
        type: final.status === 'failed' ? 'batch.failed' : 'batch.completed',
        subjectId: input.batchId,
        error: allFailed ? `all ${total} domains failed` : null,
        data: { totalDomains: total, completedDomains: state.completed, failedDomains: state.failed, cancelledDomains: state.cancelled },
      }),
    ]);
    return final;
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const cancelled = isCancellation(err);
    const ending = cancelled ? 'cancelled' : 'failed';
    // As for a completed batch, the row's status is written by the closer once this execution has closed; patched():
    // batches that ended before this replay the way they ran.
    const closer = patched(BATCH_END_CLOSER_PATCH);
    // The query keeps saying `running` until the row is final, so a reader never sees a closed batch with open domains.
    await CancellationScope.nonCancellable(async () => {
      // Children in flight receive the cancellation through the scope; wait until each has closed and been recorded.
      await Promise.allSettled(pending);
      await acts.finishBatch({ batchId: input.batchId, status: ending, error: cancelled ? 'cancelled' : errorMessage(err), ...(closer ? { statusAfterClose: true } : {}) });
    });
    status = ending;
    details();
    await Promise.all([
      closer ? startBatchCloser(input.batchId, ending) : undefined,
      cancelled ? undefined : emitEvent({ type: 'batch.failed', subjectId: input.batchId, error: errorMessage(err), data: { totalDomains: input.domains.length } }),
    ]);
    throw err;
  }
}
