// Inputs and outputs of the site-audit activities. Plain JSON, kept compact: they travel through workflow history.
import type { ClaimedUrl, FailureReason, LinkRecord, PageRecord } from '../audit/records';
import type { AuditStage, RunCounters, RunSummary, SiteAuditOptions } from '../workflows/contracts';

// Page records are shared with the pure audit layer: they live in src/audit/records.ts.
export type { ClaimedUrl, LinkRecord, PageRecord };

export interface InitRunInput {
  workflowId: string;
  runKey: string;
  siteUrl: string;
  executionId: string;
  options: SiteAuditOptions;
  batchId?: string;
}

export interface DiscoverInput {
  runId: string;
  siteUrl: string;
  options: SiteAuditOptions;
}

export interface DiscoverResult {
  discovered: number;
  robotsStatus: number | null;
  sitemapsFetched: number;
  sitemapUrls: number;
}

/** One lane step: claim a batch under `claimToken`, audit it, persist it as it goes. */
export interface CrawlBatchInput {
  runId: string;
  executionId: string;
  /** Deterministic token `<executionId>:<seq>`: a retry re-claims the same URLs, minus those already persisted. */
  claimToken: string;
  siteUrl: string;
  options: SiteAuditOptions;
}

export interface CrawlBatchResult {
  /** URLs this claim held (0: the frontier had nothing claimable). */
  claimed: number;
  /** URLs deferred back to the frontier (open circuit). */
  deferred: number;
  /** URLs newly found and queued by this batch. */
  enqueued: number;
  /** With claimed = 0: deferred URLs wait this long before they can be claimed (null: none wait). */
  retryInMs: number | null;
  /** The run's counters after this batch (from audit_runs, exact under retries). */
  counters: RunCounters;
  failReasons: Record<string, number>;
}

/** Records the claim's unfinished URLs as failed (the crawl activity gave up for good). */
export interface FailClaimInput {
  runId: string;
  executionId: string;
  claimToken: string;
  reason: FailureReason;
  detail: string;
}

export interface SetStageInput {
  /** Empty until initRun has run; then the row is found by workflowId. */
  runId: string;
  workflowId?: string;
  stage: AuditStage;
  error?: string;
  /** A terminal stage leaves the status running until the workflow has closed (its closer writes it). */
  statusAfterClose?: boolean;
}

export interface SummarizeInput {
  runId: string;
  executionId: string;
  startedAt: number;
}

export type SummarizeResult = RunSummary;

export interface ConfirmRunClosedInput {
  /** The audit_runs row. */
  runId: string;
  workflowId: string;
  /** The Temporal run id of the execution that ended the run (the last of its continue-as-new chain). */
  temporalRunId: string;
  /** The execution the row names (its chain's first run id): a rerun's row is not written. Null: none yet (the API's row). */
  executionId: string | null;
  /** The status the row keeps until the close: running, or queued for a run that ended before initRun took its row. */
  seenStatus?: 'queued' | 'running';
}
