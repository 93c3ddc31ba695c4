// What every site-level check shares: the narrow database handle, the registry entry, and the finding builders.
import { CHECKS_BY_CODE, type SiteCheckCode } from '../../audit/catalogue';
import type { SiteIssue } from '../../audit/records';

export type Db = { query: (sql: string, params?: unknown[]) => Promise<any> };

/** One site-level check: the finding codes it can produce and the set query (or queries) producing them for a run. */
export interface SiteCheck {
  /** Registry name (one per finding kind or per family sharing one query). */
  name: string;
  codes: readonly SiteCheckCode[];
  run(db: Db, runId: string): Promise<SiteIssue[]>;
  /**
   * The same findings as one SELECT of site_issues-shaped rows (`n` their 0-based order, code, severity, count, detail,
   * pages jsonb, sources jsonb, sources_count, link_target_hash), taking the run id as $1 and `params` after it, for
   * checks whose findings can be too many or too large to pass through the worker: summarize inserts them inside
   * PostgreSQL.
   */
  issueRows?: { sql: string; params: unknown[] };
}

/**
 * A hot query over the run's rows, named so the plan test can EXPLAIN it exactly as the check runs it
 * (the SQL takes the run id as $1 and `params` after it).
 */
export interface SiteQuery {
  name: string;
  sql: string;
  params?: unknown[];
}

/**
 * Sources kept per link finding (a footer link to a 404 page can have every page of the site as source); the full link
 * graph is in the links export. Per-page findings keep every page.
 */
export const MAX_SOURCES_PER_ISSUE = 1_000;

export type Source = { from: string; text: string };

export function severity(code: SiteCheckCode): SiteIssue['severity'] {
  return CHECKS_BY_CODE[code].severity;
}

/** One finding listing several pages (orphans, deep pages, sitemap problems…); none when `pages` is empty. */
export function pageList(code: SiteCheckCode, pages: string[], extra: Partial<SiteIssue> = {}): SiteIssue[] {
  if (pages.length === 0) return [];
  return [{ code, severity: severity(code), pages, count: pages.length, ...extra }];
}
