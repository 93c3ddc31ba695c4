// Inputs and outputs of the site-audit activities. Plain JSON, kept compact: they travel through workflow history.
import type { Finding, RedirectHop } from '../audit/types';
import type { AuditStage, RunCounters, RunSummary, SiteAuditOptions } from '../workflows/contracts';

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

export interface ClaimedUrl {
  url: string;
  urlHash: string;
  depth: number;
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
  reason: string;
  detail: string;
}

export interface LinkRecord {
  url: string;
  urlHash: string;
  text: string;
  nofollow: boolean;
}

/** One audited (or failed) URL. No HTML: only what the database and the summary need. */
export interface PageRecord {
  url: string;
  urlHash: string;
  depth: number;
  status: 'ok' | 'failed';
  statusCode: number | null;
  finalUrl: string | null;
  contentType: string | null;
  ttfbMs: number | null;
  durationMs: number | null;
  bytes: number | null;
  redirectChain: RedirectHop[];
  title: string | null;
  description: string | null;
  h1: string | null;
  h1Count: number | null;
  canonical: string | null;
  indexable: boolean | null;
  noindex: boolean | null;
  wordCount: number | null;
  lang: string | null;
  contentHash: string | null;
  simhash: string | null;
  issues: Finding[];
  data: Record<string, unknown>;
  failureReason: string | null;
  failureDetail: string | null;
  attempts: number;
  /** Internal outlinks (the crawl follows these); external ones are counted in data. */
  links: LinkRecord[];
  /**
   * Canonical, hreflang and redirect targets of the page on the site: fetched even when no link reaches them or they
   * lie beyond maxDepth (then not crawled further), so the findings about them are complete.
   */
  targets?: Array<{ url: string; urlHash: string }>;
}

export interface SetStageInput {
  /** Empty until initRun has run; then the row is found by workflowId. */
  runId: string;
  workflowId?: string;
  stage: AuditStage;
  error?: string;
}

export interface SummarizeInput {
  runId: string;
  executionId: string;
  startedAt: number;
}

export type SummarizeResult = RunSummary;
