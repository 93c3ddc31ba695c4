// The page_audits aggregate, read side: one row per audited URL of a run. Pages are written by
// src/activities/persist.ts (bulk upserts on the crawl's hot path, kept there); everything that reads them — the
// dashboard's tables, reports, exports, run comparison, summaries, AI prompts — goes through here.
import type { FailureReason } from '../../audit/records';
import type { Finding } from '../../audit/types';
import type { Queryable } from './queryable';

/** Columns of page_audits the readers use, as pg returns them (bigint id as a string, jsonb parsed). */
export type PageRow = {
  id: string;
  run_id: string;
  url_hash: string;
  url: string;
  final_url: string | null;
  status: 'ok' | 'failed';
  status_code: number | null;
  content_type: string | null;
  ttfb_ms: number | null;
  duration_ms: number | null;
  bytes: number | null;
  depth: number;
  title: string | null;
  description: string | null;
  h1: string | null;
  h1_count: number | null;
  canonical: string | null;
  indexable: boolean | null;
  noindex: boolean | null;
  word_count: number | null;
  lang: string | null;
  issues: Finding[];
  redirect_chain: unknown[];
  data: Record<string, any>;
  failure_reason: string | null;
  failure_detail: string | null;
  attempts: number;
  execution_id: string | null;
  audited_at: Date;
};

// ---- the dashboard's page table (GET /api/runs/:id/pages, /page) ----

export type PageSortKey = 'id' | 'url' | 'statusCode' | 'indexable' | 'title' | 'description' | 'h1' | 'wordCount' | 'depth' | 'responseTime' | 'ttfb' | 'bytes' | 'findings';

/**
 * Sort keys: a whitelist of SQL expressions, never built from input. NULLs become a sentinel below every value so
 * the keyset comparison `(key, id) > (…)` stays total (a NULL would compare as unknown and end the scroll).
 */
const SORT_KEYS: Record<PageSortKey, string> = {
  id: 'p.id',
  url: 'p.url',
  statusCode: 'coalesce(p.status_code, -1)',
  indexable: 'coalesce(p.indexable::int, -1)',
  title: "coalesce(p.title, '')",
  description: "coalesce(p.description, '')",
  h1: "coalesce(p.h1, '')",
  wordCount: 'coalesce(p.word_count, -1)',
  depth: 'p.depth',
  responseTime: 'coalesce(p.duration_ms, -1)',
  ttfb: 'coalesce(p.ttfb_ms, -1)',
  bytes: 'coalesce(p.bytes, -1)',
  findings: 'jsonb_array_length(p.issues)',
};

const STATUS_CLASS = {
  '2xx': 'p.status_code BETWEEN 200 AND 299',
  '3xx': 'p.status_code BETWEEN 300 AND 399',
  '4xx': 'p.status_code BETWEEN 400 AND 499',
  '5xx': 'p.status_code BETWEEN 500 AND 599',
  none: 'p.status_code IS NULL',
} as const;

const TABLE_COLUMNS = `p.url, p.final_url, p.status, p.status_code, p.content_type, p.ttfb_ms, p.duration_ms, p.bytes, p.depth, p.title,
  p.description, p.h1, p.h1_count, p.canonical, p.indexable, p.noindex, p.word_count, p.lang, p.issues, p.redirect_chain,
  p.failure_reason, p.failure_detail, p.attempts, p.audited_at, jsonb_array_length(p.issues) AS finding_count,
  p.data->'render' AS render`;

/** A row of the page table: the page's columns, its finding count and what rendering changed (null unless rendered). */
export type PageTableRow = Pick<PageRow, 'url' | 'final_url' | 'status' | 'status_code' | 'content_type' | 'ttfb_ms' | 'duration_ms' | 'bytes' | 'depth' | 'title'
  | 'description' | 'h1' | 'h1_count' | 'canonical' | 'indexable' | 'noindex' | 'word_count' | 'lang' | 'issues' | 'redirect_chain'
  | 'failure_reason' | 'failure_detail' | 'attempts' | 'audited_at'> & { finding_count: number; render: unknown };

export interface PageTableQuery {
  status?: 'ok' | 'failed';
  code?: string;
  severity?: string;
  statusCode?: number;
  statusClass?: keyof typeof STATUS_CLASS;
  indexable?: 'true' | 'false';
  q?: string;
  sort: PageSortKey;
  order: 'asc' | 'desc';
  limit: number;
  /** The last row's id of the previous page. */
  cursor?: string;
}

/** `%`, `_` and `\` match themselves in a text search. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * One keyset page of a run's pages (limit + 1 rows, so the caller knows whether there is more), and the total of the
 * filtered rows when there is no cursor (later pages need not count again).
 */
export async function pageTable(db: Queryable, runId: string, q: PageTableQuery): Promise<{ rows: Array<PageTableRow & { id: string }>; total: number | undefined }> {
  const params: unknown[] = [runId];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where = ['p.run_id = $1'];
  if (q.status) where.push(`p.status = ${p(q.status)}`);
  if (q.code) where.push(`p.issues @> jsonb_build_array(jsonb_build_object('code', ${p(q.code)}::text))`);
  if (q.severity) where.push(`p.issues @> jsonb_build_array(jsonb_build_object('severity', ${p(q.severity)}::text))`);
  if (q.statusCode !== undefined) where.push(`p.status_code = ${p(q.statusCode)}`);
  if (q.statusClass) where.push(STATUS_CLASS[q.statusClass]);
  if (q.indexable) where.push(`p.indexable = ${p(q.indexable === 'true')}`);
  if (q.q) {
    const like = p(likePattern(q.q));
    where.push(`(p.url ILIKE ${like} OR p.title ILIKE ${like})`);
  }
  const filters = where.join(' AND ');
  const key = SORT_KEYS[q.sort];
  const desc = q.order === 'desc';
  const cmp = desc ? '<' : '>';
  const dir = desc ? 'DESC' : 'ASC';
  let keyset = '';
  if (q.cursor) {
    // The cursor is the last row's id; its sort value is read again (a cursor from another run matches no row, so
    // the page is empty rather than wrong).
    const c = p(q.cursor);
    keyset = q.sort === 'id'
      ? ` AND p.id ${cmp} ${c}::bigint`
      : ` AND (${key}, p.id) ${cmp} (SELECT ${key}, p.id FROM page_audits p WHERE p.run_id = $1 AND p.id = ${c}::bigint)`;
  }
  const limit = p(q.limit + 1);
  // Sort narrow rows (id and key), then read the wide columns of the page's rows only: half the time at 100k pages.
  const [rows, total] = await Promise.all([
    db.query(
      `WITH w AS (SELECT p.id FROM page_audits p WHERE ${filters}${keyset} ORDER BY ${key} ${dir}, p.id ${dir} LIMIT ${limit})
       SELECT p.id, ${TABLE_COLUMNS} FROM w JOIN page_audits p ON p.id = w.id ORDER BY ${key} ${dir}, p.id ${dir}`,
      params,
    ) as Promise<Array<PageTableRow & { id: string }>>,
    q.cursor ? undefined : db.query(`SELECT count(*)::int AS n FROM page_audits p WHERE ${filters}`, params.slice(0, -1)).then((r: Array<{ n: number }>) => r[0].n),
  ]);
  return { rows, total };
}

/** One page of a run by any of the hashes its URL may be stored under, with its id, hash and data. */
export async function pageByHashes(db: Queryable, runId: string, hashes: string[]): Promise<(PageTableRow & Pick<PageRow, 'id' | 'url_hash' | 'data'>) | undefined> {
  const [row] = await db.query(
    `SELECT p.id, p.url_hash, ${TABLE_COLUMNS}, p.data FROM page_audits p WHERE p.run_id = $1 AND p.url_hash = ANY($2::text[]) LIMIT 1`,
    [runId, hashes],
  );
  return row;
}

/**
 * The report's health score (src/audit/score.ts) in one SQL pass: the run's pages, and those with a critical page or
 * site finding, or an audit failure other than the deliberate skips.
 */
export async function healthCounts(db: Queryable, runId: string, deliberateFailures: readonly string[]): Promise<{ pages: number; critical: number }> {
  const [row] = await db.query(
    `WITH crit AS (
       SELECT DISTINCT u.url FROM site_issues s CROSS JOIN LATERAL jsonb_array_elements_text(s.pages) u(url)
        WHERE s.run_id = $1 AND s.severity = 'critical')
     SELECT count(*)::int AS pages,
            count(*) FILTER (WHERE (p.status = 'failed' AND NOT coalesce(p.failure_reason, '') = ANY($2::text[]))
                                OR p.issues @> '[{"severity":"critical"}]' OR p.url IN (SELECT url FROM crit))::int AS critical
       FROM page_audits p WHERE p.run_id = $1`,
    [runId, [...deliberateFailures]],
  );
  return row;
}

// ---- keyset batches (reports and exports stream at any size with flat memory) ----

const BATCH = 500;

async function* keysetBatches<T extends { id: string }>(db: Queryable, sql: string, runId: string, size: number): AsyncGenerator<T[]> {
  let cursor = '0';
  for (;;) {
    const rows: T[] = await db.query(sql, [runId, cursor, size]);
    if (rows.length === 0) return;
    yield rows;
    cursor = rows[rows.length - 1].id;
    if (rows.length < size) return;
  }
}

export type ExportPageRow = Pick<PageRow, 'id' | 'url' | 'status' | 'status_code' | 'final_url' | 'depth' | 'title' | 'description' | 'h1' | 'canonical'
  | 'indexable' | 'word_count' | 'lang' | 'ttfb_ms' | 'bytes' | 'failure_reason' | 'issues'>;

/** Every page of a run with the pages export's columns, in id order. */
export function exportPageBatches(db: Queryable, runId: string, size = BATCH): AsyncGenerator<ExportPageRow[]> {
  return keysetBatches(db,
    `SELECT id, url, status, status_code, final_url, depth, title, description, h1, canonical, indexable, word_count, lang,
            ttfb_ms, bytes, failure_reason, issues
       FROM page_audits WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3`, runId, size);
}

/** The pages of a run that have page findings, in id order. */
export function pagesWithFindingsBatches(db: Queryable, runId: string, size = BATCH): AsyncGenerator<Array<Pick<PageRow, 'id' | 'url' | 'issues'>>> {
  return keysetBatches(db,
    `SELECT id, url, issues FROM page_audits WHERE run_id = $1 AND id > $2 AND jsonb_array_length(issues) > 0 ORDER BY id LIMIT $3`, runId, size);
}

/** Every page's URL and hash, in id order (the links export reads each batch's outlinks by hash). */
export function pageHashBatches(db: Queryable, runId: string, size = BATCH): AsyncGenerator<Array<Pick<PageRow, 'id' | 'url' | 'url_hash'>>> {
  return keysetBatches(db, `SELECT id, url, url_hash FROM page_audits WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3`, runId, size);
}

/** What scoring a page needs, for every page of a run in id order. */
export function scoringPageBatches(db: Queryable, runId: string, size = BATCH): AsyncGenerator<Array<Pick<PageRow, 'id' | 'url' | 'status' | 'failure_reason' | 'issues'>>> {
  return keysetBatches(db, `SELECT id, url, status, failure_reason, issues FROM page_audits WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3`, runId, size);
}

// ---- counts ----

/** Page findings of a run counted by code. */
export async function findingCodeCounts(db: Queryable, runId: string): Promise<Array<{ code: string; count: number }>> {
  return db.query(
    `SELECT i->>'code' AS code, count(*)::int AS count FROM page_audits p, jsonb_array_elements(p.issues) i
      WHERE p.run_id = $1 GROUP BY 1`,
    [runId],
  );
}

/** Pages of a run by HTTP status ('none': no response). */
export async function statusCodeCounts(db: Queryable, runId: string): Promise<Array<{ code: string; n: number }>> {
  return db.query(`SELECT coalesce(status_code::text, 'none') AS code, count(*)::int AS n FROM page_audits WHERE run_id = $1 GROUP BY 1`, [runId]);
}

/** The 20 most frequent failure reasons of a run. */
export async function topFailureReasons(db: Queryable, runId: string): Promise<Array<{ reason: string; count: number }>> {
  return db.query(`SELECT failure_reason AS reason, count(*)::int AS count FROM page_audits WHERE run_id = $1 AND failure_reason IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 20`, [runId]);
}

/** What the summary counts, in one statement: audited and failed pages, failures by reason, pages by status code. */
export async function summaryCounts(db: Queryable, runId: string): Promise<{ audited: number; failed: number; reasons: Record<string, number>; codes: Array<[number | null, number]> }> {
  const [agg] = await db.query(
    `SELECT count(*) FILTER (WHERE status = 'ok')::int AS audited, count(*) FILTER (WHERE status = 'failed')::int AS failed,
            (SELECT coalesce(jsonb_object_agg(r, n), '{}') FROM (SELECT failure_reason r, count(*)::int n FROM page_audits
              WHERE run_id = $1 AND failure_reason IS NOT NULL GROUP BY 1) x) AS reasons,
            (SELECT coalesce(jsonb_agg(jsonb_build_array(c, n)), '[]') FROM (SELECT status_code c, count(*)::int n FROM page_audits
              WHERE run_id = $1 GROUP BY 1) x) AS codes
       FROM page_audits WHERE run_id = $1`,
    [runId],
  );
  return agg;
}

// ---- one check's affected pages ----

/** Pages with a finding of `code`, after page id `afterId`, at most `limit` rows. */
export async function pagesWithCode(db: Queryable, runId: string, code: string, afterId: string, limit: number): Promise<Array<Pick<PageRow, 'id' | 'url' | 'issues'>>> {
  return db.query(
    `SELECT id, url, issues FROM page_audits
      WHERE run_id = $1 AND issues @> jsonb_build_array(jsonb_build_object('code', $2::text)) AND id > $3::bigint
      ORDER BY id LIMIT $4`,
    [runId, code, afterId, limit],
  );
}

export async function countPagesWithCode(db: Queryable, runId: string, code: string): Promise<number> {
  const [{ n }]: Array<{ n: number }> = await db.query(
    `SELECT count(*)::int AS n FROM page_audits WHERE run_id = $1 AND issues @> jsonb_build_array(jsonb_build_object('code', $2::text))`,
    [runId, code],
  );
  return n;
}

// ---- comparison, summaries, prompts ----

/** Every (page, code, severity) page finding of a run. */
export async function pageFindingPairs(db: Queryable, runId: string): Promise<Array<{ url: string; code: string; severity: string }>> {
  return db.query(
    `SELECT p.url, i->>'code' AS code, i->>'severity' AS severity
       FROM page_audits p CROSS JOIN LATERAL jsonb_array_elements(p.issues) i WHERE p.run_id = $1`,
    [runId],
  );
}

/**
 * How two runs' findings differ, counted in the database (summarize's delta: at 100k pages the (code, page) pairs
 * of two runs are millions, too many to compare in the worker): findings by distinct (code, page), page and site
 * findings together, and pages by URL. Same sets as compareRuns lists.
 */
export async function comparisonCounts(db: Queryable, runId: string, baseRunId: string): Promise<{
  newFindings: number; fixedFindings: number; persistingFindings: number; pagesAdded: number; pagesRemoved: number;
}> {
  const findings = (p: string) => `
    SELECT i->>'code' AS code, p.url FROM page_audits p CROSS JOIN LATERAL jsonb_array_elements(p.issues) i WHERE p.run_id = ${p}
    UNION
    SELECT s.code, u.url FROM site_issues s CROSS JOIN LATERAL jsonb_array_elements_text(s.pages) u(url) WHERE s.run_id = ${p}`;
  const [row] = await db.query(
    `WITH f AS (
       SELECT count(*) FILTER (WHERE b.code IS NULL)::int AS new_findings,
              count(*) FILTER (WHERE c.code IS NULL)::int AS fixed_findings,
              count(*) FILTER (WHERE b.code IS NOT NULL AND c.code IS NOT NULL)::int AS persisting_findings
         FROM (${findings('$1')}) c FULL JOIN (${findings('$2')}) b ON b.code = c.code AND b.url = c.url
     ), p AS (
       SELECT count(*) FILTER (WHERE b.url IS NULL)::int AS pages_added, count(*) FILTER (WHERE c.url IS NULL)::int AS pages_removed
         FROM (SELECT DISTINCT url FROM page_audits WHERE run_id = $1) c
         FULL JOIN (SELECT DISTINCT url FROM page_audits WHERE run_id = $2) b ON b.url = c.url
     )
     SELECT * FROM f, p`,
    [runId, baseRunId],
  );
  return {
    newFindings: row.new_findings, fixedFindings: row.fixed_findings, persistingFindings: row.persisting_findings,
    pagesAdded: row.pages_added, pagesRemoved: row.pages_removed,
  };
}

export async function pageUrls(db: Queryable, runId: string): Promise<string[]> {
  const rows: Array<{ url: string }> = await db.query(`SELECT url FROM page_audits WHERE run_id = $1`, [runId]);
  return rows.map((r) => r.url);
}

/** Summarize: rows of pages a re-run (another execution) no longer found. */
export async function deleteStalePages(db: Queryable, runId: string, executionId: string): Promise<void> {
  await db.query(`DELETE FROM page_audits WHERE run_id = $1 AND execution_id IS DISTINCT FROM $2`, [runId, executionId]);
}

export type PromptPageRow = Pick<PageRow, 'id' | 'url' | 'title' | 'description' | 'h1' | 'word_count' | 'issues'>;

/** Audited pages with page findings, in id order, at most `cap` (AI recommendation prompts). */
export async function pagesForPrompts(db: Queryable, runId: string, cap: number): Promise<PromptPageRow[]> {
  return db.query(
    `SELECT id, url, title, description, h1, word_count, issues FROM page_audits
      WHERE run_id = $1 AND status = 'ok' AND jsonb_array_length(issues) > 0
      ORDER BY id LIMIT $2`,
    [runId, cap],
  );
}

/** What a completed URL of an execution answered (its response, no body), for the crawl's no-second-fetch book. */
export interface CompletedAnswerRow {
  status_code: number | null;
  redirect_chain: Array<{ url: string; status: number }> | null;
  final_url: string | null;
  content_type: string | null;
  bytes: number | null;
  ttfb_ms: number | null;
  failure_reason: FailureReason | null;
  failure_detail: string | null;
}

/** The answer of `urlHash` if the frontier has it done in this execution (null: not completed, or another execution's). */
export async function completedAnswer(db: Queryable, runId: string, executionId: string, urlHash: string): Promise<CompletedAnswerRow | null> {
  const [r] = (await db.query(
    `SELECT p.status_code, p.redirect_chain, p.final_url, p.content_type, p.bytes, p.ttfb_ms, p.failure_reason, p.failure_detail
       FROM frontier f JOIN page_audits p ON p.run_id = f.run_id AND p.url_hash = f.url_hash
      WHERE f.run_id = $1 AND f.url_hash = $2 AND f.status = 'done' AND p.execution_id = $3`,
    [runId, urlHash, executionId],
  )) as CompletedAnswerRow[];
  return r ?? null;
}

/** The start URL's own page row (the frontier's seed, done at depth 0: the queue index finds it): its answer, or why it failed. */
export async function seedPage(db: Queryable, runId: string): Promise<{ url: string; status_code: number | null; failure_reason: string | null } | undefined> {
  const [row] = await db.query(
    `SELECT p.url, p.status_code, p.failure_reason FROM frontier f
       JOIN page_audits p ON p.run_id = f.run_id AND p.url_hash = f.url_hash
      WHERE f.run_id = $1 AND f.status = 'done' AND f.depth = 0 AND f.source = 'seed' LIMIT 1`,
    [runId],
  );
  return row;
}
