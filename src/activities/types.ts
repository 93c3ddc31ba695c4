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

export interface ClaimInput {
  runId: string;
  /** Deterministic token `<executionId>:<seq>`: a retried claim returns the same URLs. */
  claimToken: string;
  size: number;
}

export interface ClaimedUrl {
  url: string;
  urlHash: string;
  depth: number;
}

export interface AuditBatchInput {
  runId: string;
  claimToken: string;
  urls: ClaimedUrl[];
  options: SiteAuditOptions;
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
}

export interface AuditBatchResult {
  records: PageRecord[];
  resumedFrom: number;
}

export interface PersistInput {
  runId: string;
  executionId: string;
  records: PageRecord[];
  options: Pick<SiteAuditOptions, 'maxPages' | 'maxDepth' | 'followLinks' | 'persistBatchSize' | 'include' | 'exclude' | 'subdomainsInternal'> & { followNofollow?: boolean };
  siteUrl: string;
}

export interface PersistResult {
  counters: RunCounters;
  failReasons: Record<string, number>;
  enqueued: number;
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
