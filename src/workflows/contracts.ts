// Contracts shared by workflows, activities, the API, the CLI and the dashboard.
// Deterministic, dependency-free: safe to import from workflow code.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BatchAuditResult, DomainStatus, ProgressView, RenderMode, RunSummary, SiteAuditOptions } from '../audit/records';

// Progress and summary types, a run's options and a batch's statuses are shared with the pure audit layer and the
// database: they live in src/audit/records.ts.
export type {
  AuditStage, BatchAuditResult, BatchStatus, DomainRunStatus, DomainStatus, ProgressView, RenderMode, RunDelta, RunSummary,
  SiteAuditOptions, SiteIssue,
} from '../audit/records';

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

/** Every RenderMode, for validation (audit/records.ts defines the type). */
export const RENDER_MODES = ['none', 'chromium'] as const satisfies readonly RenderMode[];

export const DEFAULT_OPTIONS: SiteAuditOptions = {
  maxPages: 500,
  maxDepth: 10,
  respectRobots: true,
  useSitemaps: true,
  followLinks: true,
  subdomainsInternal: false,
  auditBatchSize: 100,
  parallelBatches: 6,
  persistBatchSize: 50,
  perHostConcurrency: 4,
  requestTimeoutMs: 15_000,
  fetchRetries: 2,
  fetchRetryBaseMs: 500,
  userAgent: 'Sitesweep/0.1 (+https://github.com/sitesweep/sitesweep)',
  followNofollow: false,
  checkExternalLinks: false,
  checkImageSizes: false,
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

export interface SiteAuditResult extends RunSummary {
  runId: string;
  siteUrl: string;
}

export const progressQuery = defineQuery<ProgressView>('progress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');

export const SEARCH_ATTRIBUTE_SITE_HOST = 'SiteHost';
export const SEARCH_ATTRIBUTE_AUDIT_STAGE = 'AuditStage';

/**
 * A site URL's host as the API names it (src/audit/url.ts siteHostOf): lower-cased, with a non-default port; null when
 * not an http(s) URL. A regular expression, so workflow code can use it.
 */
export function hostOfSiteUrl(siteUrl: string): string | null {
  const m = /^(https?):\/\/(?:[^@/?#]*@)?([^/?#]+)/i.exec(siteUrl);
  if (!m) return null;
  const defaultPort = m[1].toLowerCase() === 'https' ? ':443' : ':80';
  const host = m[2].toLowerCase();
  return host.endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host;
}

/** Deterministic workflow id of a site run. */
export function siteAuditWorkflowId(host: string, runKey: string): string {
  return `site-audit:${host}:${runKey}`;
}

export function resolveOptions(input: SiteAuditInput): SiteAuditOptions {
  const out: SiteAuditOptions = { ...DEFAULT_OPTIONS };
  for (const [k, v] of Object.entries(input)) {
    if (v !== undefined && k in DEFAULT_OPTIONS) (out as unknown as Record<string, unknown>)[k] = v;
  }
  for (const k of ['include', 'exclude', 'sitemaps', 'thresholds', 'crawlDelayMs', 'ai', 'stripParams', 'sealedCredentials', 'render'] as const) {
    if (input[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = input[k];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Batches of domains (batchAuditWorkflow). GET /api/batches/:id **contract** lives in src/api/batches.ts.

export interface BatchAuditInput {
  /** audit_batches.id (uuid); children pass it on so their audit_runs rows link to the batch. */
  batchId: string;
  /** Normalized site URLs, one child siteAuditWorkflow each (one per host). */
  domains: string[];
  options?: Partial<SiteAuditOptions>;
  policies?: Partial<ActivityPolicies>;
  /** Children running at once (sliding window). Default 3. */
  maxConcurrentSites?: number;
  /** Children started per workflow run before it continues-as-new (also on continueAsNewSuggested). Default 200. */
  maxDomainsPerRun?: number;
}

/** What the batch carries across continue-as-new: a cursor and counters; per-domain results live in audit_batches. */
export interface BatchAuditCarry {
  cursor: number;
  completed: number;
  failed: number;
  cancelled: number;
  startedAt: number;
  continuedAsNew: number;
}

/** The batch's result so far, and where it stands. */
export interface BatchProgressView extends BatchAuditResult {
  /** 0–100: finished domains (any outcome) over all. */
  progress: number;
  /** Domains started so far (index into `domains`). */
  cursor: number;
  /** Domains in flight and those finished during the current workflow run (earlier ones are in audit_batches). */
  domainStatuses: Record<string, DomainStatus>;
  startedAt: string;
  continuedAsNew: number;
}

export const DEFAULT_MAX_CONCURRENT_SITES = 3;
export const DEFAULT_MAX_DOMAINS_PER_RUN = 200;

export const batchProgressQuery = defineQuery<BatchProgressView>('batchProgress');

/** Workflow id of a batch: `batch-audit:<idempotencyKey or generated key>`. */
export function batchAuditWorkflowId(key: string): string {
  return `batch-audit:${key}`;
}

/**
 * Workflow id of the closer child (src/workflows/closers.ts) a run, batch or AI job starts just before it closes: one per
 * execution chain, `close-<kind>:<workflow id>:<first run id>`.
 */
export function closerWorkflowId(kind: 'run' | 'batch' | 'ai-job', workflowId: string, firstRunId: string): string {
  return `close-${kind}:${workflowId}:${firstRunId}`;
}

/** Workflow id of a batch's child run of one site: `site-audit:<host>:batch-<batchId>`. */
export function batchChildWorkflowId(host: string, batchId: string): string {
  return siteAuditWorkflowId(host, `batch-${batchId}`);
}
