// Contracts shared by workflows, activities, the API, the CLI and the dashboard.
// Deterministic, dependency-free: safe to import from workflow code.
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const TASK_QUEUE_DEFAULT = 'sitesweep';

/** Retry and timeout knobs the workflow applies to its activities (defaults come from config). */
export interface ActivityPolicies {
  auditHeartbeatTimeoutMs: number;
  auditRetryInitialMs: number;
  auditRetryMaxMs: number;
  auditRetryMaxAttempts: number;
  persistRetryMaxMs: number;
}

export const DEFAULT_POLICIES: ActivityPolicies = {
  auditHeartbeatTimeoutMs: 30_000,
  auditRetryInitialMs: 2_000,
  auditRetryMaxMs: 30_000,
  auditRetryMaxAttempts: 3,
  persistRetryMaxMs: 60_000,
};

/** Options of one site run. Plain JSON so `temporal workflow start --input` works. */
export interface SiteAuditOptions {
  maxPages: number;
  maxDepth: number;
  include?: string[];
  exclude?: string[];
  respectRobots: boolean;
  useSitemaps: boolean;
  /** Extra sitemap URLs the user names, besides robots.txt's and /sitemap.xml. */
  sitemaps?: string[];
  followLinks: boolean;
  subdomainsInternal: boolean;
  auditBatchSize: number;
  parallelBatches: number;
  persistBatchSize: number;
  perHostConcurrency: number;
  requestTimeoutMs: number;
  /** In-activity fetch retries for a URL (timeouts, 5xx, 429) before it is recorded as failed. */
  fetchRetries: number;
  /** Base of the in-activity exponential backoff (full jitter). */
  fetchRetryBaseMs: number;
  userAgent: string;
  /** Check thresholds overriding the catalogue defaults (see GET /api/checks). */
  thresholds?: Record<string, number>;
  /** Politeness: minimum delay between requests to the site; robots.txt Crawl-delay wins when larger. */
  crawlDelayMs?: number;
  ai?: { model: string; maxPages?: number };
}

export const DEFAULT_OPTIONS: SiteAuditOptions = {
  maxPages: 500,
  maxDepth: 10,
  respectRobots: true,
  useSitemaps: true,
  followLinks: true,
  subdomainsInternal: false,
  auditBatchSize: 25,
  parallelBatches: 4,
  persistBatchSize: 50,
  perHostConcurrency: 4,
  requestTimeoutMs: 15_000,
  fetchRetries: 2,
  fetchRetryBaseMs: 500,
  userAgent: 'Sitesweep/0.1 (+https://github.com/sitesweep/sitesweep)',
};

export interface SiteAuditInput extends Partial<SiteAuditOptions> {
  siteUrl: string;
  /** Business key of the run; the workflow id is `site-audit:<host>:<runKey>`. */
  runKey?: string;
  /** Activity retry/timeout policies; defaults to DEFAULT_POLICIES. */
  policies?: Partial<ActivityPolicies>;
  /** Set by the batch workflow when the run belongs to a batch. */
  batchId?: string;
}

export type AuditStage = 'queued' | 'discovering' | 'auditing' | 'summarizing' | 'completed' | 'failed' | 'cancelled';

/** Counters that survive continue-as-new (everything else is re-derived or lives in PostgreSQL). */
export interface RunCounters {
  discovered: number;
  audited: number;
  failed: number;
  persisted: number;
}

/** What the workflow carries across continue-as-new. */
export interface SiteAuditCarry {
  runId: string;
  /** First run id of this execution chain: the frontier's claim tokens are scoped to it. */
  executionId: string;
  startedAt: number;
  claimSeq: number;
  counters: RunCounters;
  failReasons: Record<string, number>;
  continuedAsNew: number;
  paused: boolean;
}

export interface ProgressView {
  stage: AuditStage;
  discovered: number;
  audited: number;
  failed: number;
  persisted: number;
  percent: number;
  pagesPerMinute: number;
  startedAt: string;
  elapsedMs: number;
  etaMs: number | null;
  topFailReasons: Array<{ reason: string; count: number }>;
  paused: boolean;
  continuedAsNew: number;
  runId: string | null;
}

export interface SiteIssue {
  code: string;
  severity: 'critical' | 'warning' | 'notice';
  /** Pages affected (capped list), with a group key when the finding groups pages (e.g. the shared title). */
  pages: string[];
  count: number;
  detail?: string;
  sources?: Array<{ from: string; to: string; text: string }>;
}

export interface RunSummary {
  pagesAudited: number;
  pagesFailed: number;
  successRate: number;
  durationMs: number;
  topFailReasons: Array<{ reason: string; count: number }>;
  issuesByCode: Record<string, number>;
  siteIssues: SiteIssue[];
  statusCodes: Record<string, number>;
}

export interface SiteAuditResult extends RunSummary {
  runId: string;
  siteUrl: string;
}

export const progressQuery = defineQuery<ProgressView>('progress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');

export const SEARCH_ATTRIBUTE_SITE_HOST = 'SiteHost';
export const SEARCH_ATTRIBUTE_AUDIT_STAGE = 'AuditStage';

/** Deterministic workflow id of a site run. */
export function siteAuditWorkflowId(host: string, runKey: string): string {
  return `site-audit:${host}:${runKey}`;
}

export function resolveOptions(input: SiteAuditInput): SiteAuditOptions {
  const out: SiteAuditOptions = { ...DEFAULT_OPTIONS };
  for (const [k, v] of Object.entries(input)) {
    if (v !== undefined && k in DEFAULT_OPTIONS) (out as unknown as Record<string, unknown>)[k] = v;
  }
  for (const k of ['include', 'exclude', 'sitemaps', 'thresholds', 'crawlDelayMs', 'ai'] as const) {
    if (input[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = input[k];
  }
  return out;
}
