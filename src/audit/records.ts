// The records every layer shares — a page's audit record, a run's options, progress and summary, a batch's statuses —
// and shape helpers for them.
// Types and pure functions only, importing nothing but the audit layer's own types: the audit layer, activities,
// workflows, the API and the CLI all use these (activities/types.ts and workflows/contracts.ts re-export them).
import type { Finding, RedirectHop } from './types';

/**
 * Why a URL could not be audited (page_audits.failure_reason). Pages with any HTTP answer we could read are audited,
 * not failed. All but the last come from the fetcher or the audit activity; audit_failed is the workflow's, for URLs
 * of a batch whose activity failed after its retries.
 */
export const FAILURE_REASONS = [
  'timeout', 'dns', 'connection_refused', 'connection_reset', 'tls', 'http_5xx', 'rate_limited',
  'too_large', 'robots_disallowed', 'not_html', 'redirect_loop', 'too_many_redirects',
  'blocked_target', 'circuit_open', 'invalid_url', 'aborted', 'network',
  'audit_failed',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * Failures that are choices (robots.txt said no, the URL is not HTML), not faults of the page: not judged by the
 * scores, and a link, canonical, hreflang or sitemap entry pointing at such a URL is not broken.
 */
export const DELIBERATE_FAILURES = ['robots_disallowed', 'not_html'] as const satisfies readonly FailureReason[];

/** Takes the raw column: rows written by any version, so any string (or null) is accepted. */
export function isDeliberateFailure(reason: string | null | undefined): boolean {
  return (DELIBERATE_FAILURES as readonly string[]).includes(reason ?? '');
}

export interface ClaimedUrl {
  url: string;
  urlHash: string;
  depth: number;
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
  failureReason: FailureReason | null;
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

export type AuditStage = 'queued' | 'discovering' | 'auditing' | 'summarizing' | 'completed' | 'failed' | 'cancelled';

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

/**
 * One site-level finding. The full lists live in the `site_issues` table (report, export, compare read them there);
 * the copy in a run summary is capped (see RunSummary.siteIssues).
 */
export interface SiteIssue {
  code: string;
  severity: 'critical' | 'warning' | 'notice';
  /** Pages affected (a group of pages when the finding groups them, e.g. the shared title). */
  pages: string[];
  /** How many pages the finding affects (pages.length before any cap). */
  count: number;
  detail?: string;
  sources?: Array<{ from: string; to: string; text: string }>;
  /** How many sources the finding has when `sources` is a capped list (absent when it is complete). */
  sourcesCount?: number;
}

export interface RunSummary {
  pagesAudited: number;
  pagesFailed: number;
  successRate: number;
  durationMs: number;
  topFailReasons: Array<{ reason: string; count: number }>;
  /** Affected pages per code, page and site findings together (over the full site-issue lists). */
  issuesByCode: Record<string, number>;
  /**
   * The top site findings only (critical first, then the most pages), each with at most a few pages and sources, so
   * the summary and the workflow result stay small whatever the site size. The full lists: `site_issues` table, the
   * report (`/api/runs/:id/report?code=…`) and the issues export.
   */
  siteIssues: SiteIssue[];
  /** Number of site findings (entries) per code, over the full lists. */
  siteIssuesByCode: Record<string, number>;
  /** Number of site findings (entries) in all; more than siteIssues.length when the summary's list was capped. */
  siteIssuesTotal: number;
  statusCodes: Record<string, number>;
  /** Change since the previous completed run of the same site host (absent for a site's first run). */
  delta?: RunDelta;
}

/** Findings compared by (code, page) with another run of the same site. */
export interface RunDelta {
  previousRunId: string;
  newFindings: number;
  fixedFindings: number;
  persistingFindings: number;
  pagesAdded: number;
  pagesRemoved: number;
}

/** A URL that could not be audited: kept with its reason, so the run goes on and the report says why. */
export function failedPageRecord(u: ClaimedUrl, reason: FailureReason, detail: string, attempts: number): PageRecord {
  return {
    url: u.url, urlHash: u.urlHash, depth: u.depth, status: 'failed', statusCode: null, finalUrl: null, contentType: null,
    ttfbMs: null, durationMs: null, bytes: null, redirectChain: [], title: null, description: null, h1: null, h1Count: null,
    canonical: null, indexable: null, noindex: null, wordCount: null, lang: null, contentHash: null, simhash: null,
    issues: [], data: {}, failureReason: reason, failureDetail: detail.slice(0, 500), attempts, links: [],
  };
}

/**
 * Why a finished run audited nothing, or null when it audited a page: the site was unreachable (nothing found or
 * fetched: DNS, connection refused, TLS, a refused target) or every page it found failed. A batch records such a
 * domain as failed, and `sitesweep audit` exits 1 with this message, rather than report a completed audit of nothing.
 */
export function nothingAuditedError(pagesAudited: number, pagesFailed: number, topFailReason: string | undefined): string | null {
  if (pagesAudited > 0) return null;
  if (pagesFailed === 0) return 'no pages could be audited';
  return `${topFailReason ?? 'unknown'}: every page failed (${pagesFailed} page${pagesFailed === 1 ? '' : 's'})`;
}

/**
 * When every page the run fetched answered an HTTP error (4xx/5xx: a wrong start URL, a site that is down behind its
 * server), what they answered ("404 ×1"); null when any page answered otherwise. A build gate must not pass on it.
 */
export function onlyHttpErrors(statusCodes: Readonly<Record<string, number>>): string | null {
  const answered = Object.entries(statusCodes).filter(([code]) => code !== 'none');
  if (answered.length === 0 || answered.some(([code]) => Number(code) < 400)) return null;
  return answered.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([code, n]) => `${code} ×${n}`).join(', ');
}

/** JavaScript rendering of a run's pages (workflows/contracts.ts lists them as RENDER_MODES). */
export type RenderMode = 'none' | 'chromium';

/** A site run's options, as the workflow input carries them and audit_runs.options stores them. */
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
  /** Enqueue the targets of rel="nofollow" links too (they are always recorded in the link graph). */
  followNofollow: boolean;
  /** After the crawl, check each distinct external link target once (external_link_broken / _redirect). */
  checkExternalLinks: boolean;
  /** After the crawl, size each distinct same-site <img> URL once (HEAD, else a ranged GET): image_too_large. */
  checkImageSizes: boolean;
  /** Extra query parameters (besides utm_* and the usual click ids) stripped from discovered URLs. */
  stripParams?: string[];
  /**
   * Basic auth, headers and cookies for sites behind a login, sealed with AES-256-GCM (src/crawl/credentials.ts)
   * before they enter the workflow input: never plain text in history, logs or audit_runs.options.
   */
  sealedCredentials?: string;
  /** JavaScript rendering: "chromium" renders each HTML page in headless Chromium and checks the rendered DOM. */
  render?: RenderMode;
  ai?: { model: string; maxPages?: number };
}

// Batches of domains (batchAuditWorkflow): what audit_batches stores per batch and per domain.
export type DomainRunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type BatchStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** One domain of a batch; keys of `domainStatuses` are the normalized site URLs of the batch's `domains`. */
export interface DomainStatus {
  status: DomainRunStatus;
  /** audit_runs.id of the domain's run (null until the child has created its row). */
  runId: string | null;
  pagesAudited: number;
  error: string | null;
  workflowId: string;
}

export interface BatchAuditResult {
  batchId: string;
  status: BatchStatus;
  totalDomains: number;
  completedDomains: number;
  failedDomains: number;
  cancelledDomains: number;
}
