// The full site-level findings of a run, in the `site_issues` table (one row per finding, its complete page list and
// its sources). Written by the summarize activity; read by the report, the exports and run comparison. The run summary
// keeps only counts and the top entries (src/audit/summary.ts), so it stays small whatever the site size.
import type { Finding } from '../../audit/types';
import type { SiteIssue } from '../../audit/records';
import { findingSourcesSql, linkSourcesSql } from '../siteChecks/linkSources';
import { MAX_SOURCES_PER_ISSUE } from '../siteChecks/types';
import { SEVERITY_RANK } from '../../audit/summary';

export type Db = { query: (sql: string, params?: unknown[]) => Promise<any> };
/** What writing needs: one transaction (a DataSource or an EntityManager both have it). */
export type TxDb = { transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> };

/** Findings per INSERT statement, and a byte budget per statement so a few huge page lists do not make one huge query. */
const INSERT_ROWS = 500;
const INSERT_BYTES = 4 * 1024 * 1024;

/** A site_issues row (or a check's site_issues-shaped row), as pg parses it. */
export interface IssueRow {
  ordinal: number;
  code: string;
  severity: SiteIssue['severity'];
  count: number;
  detail: string | null;
  pages: string[];
  sources: SiteIssue['sources'] | null;
  sources_count: number | null;
}

export function issueFromRow(r: IssueRow): SiteIssue {
  return {
    code: r.code,
    severity: r.severity,
    pages: r.pages,
    count: r.count,
    ...(r.detail !== null ? { detail: r.detail } : {}),
    ...(r.sources !== null ? { sources: r.sources } : {}),
    // The full number of sources, when more than listed (a link finding counts them all; its list is read capped).
    ...(r.sources_count !== null && r.sources_count > (r.sources?.length ?? 0) ? { sourcesCount: r.sources_count } : {}),
  };
}

/**
 * Ordinals of one site check's findings: check k writes [k·STRIDE, (k+1)·STRIDE), so checks running at once write
 * their rows independently and the table still reads in registry order (readers order by ordinal; gaps are fine).
 */
export const ORDINAL_STRIDE = 1 << 24;

/**
 * Replaces one check's findings in one transaction, inserting each chunk as it comes (a check's findings are never all
 * in memory): readers see the check's previous list or its new one, never a part. Idempotent: a retried summarize
 * writes the same rows. `onChunk` gets each chunk with the ordinal of its first finding.
 */
export async function replaceCheckIssues(
  db: TxDb,
  runId: string,
  checkIndex: number,
  chunks: (tx: Db) => AsyncIterable<SiteIssue[]>,
  onChunk: (issues: SiteIssue[], firstOrdinal: number) => void = () => {},
): Promise<void> {
  const first = checkIndex * ORDINAL_STRIDE;
  await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM site_issues WHERE run_id = $1 AND ordinal >= $2 AND ordinal < $3`, [runId, first, first + ORDINAL_STRIDE]);
    let next = first;
    for await (const issues of chunks(tx)) {
      if (next - first + issues.length > ORDINAL_STRIDE) throw new RangeError(`site check ${checkIndex}: more than ${ORDINAL_STRIDE} findings`);
      await insertIssues(tx, runId, next, issues);
      onChunk(issues, next);
      next += issues.length;
    }
  });
}

/**
 * Replaces one check's findings with the rows of `select` (site_issues-shaped: `n` 0-based order, code, severity,
 * count, detail, pages, sources, sources_count, link_target_hash; the run id as $1, `params` after it), inserted by PostgreSQL itself in
 * one transaction: the lists never cross to the worker. `onChunk` gets every finding with its counts (count and
 * sourcesCount the full sizes), and page and source lists cut to `listCap` only for those `listsFor` picks (by index;
 * default all): the summary's tally needs lists only for findings that can make its top entries, and a 100k-page
 * site's broken links returned ~10 MB of capped lists otherwise (6,000 findings, 0.4-1 s of the check).
 */
export async function replaceCheckIssuesFromSelect(
  db: TxDb,
  runId: string,
  checkIndex: number,
  select: { sql: string; params: unknown[] },
  listCap: number,
  onChunk: (issues: SiteIssue[], firstOrdinal: number) => void = () => {},
  listsFor: (issues: SiteIssue[], firstOrdinal: number) => number[] = (issues) => issues.map((_, k) => k),
): Promise<void> {
  const first = checkIndex * ORDINAL_STRIDE;
  const head = `'$[0 to ${Math.max(0, Math.floor(listCap) - 1)}]'`;
  const issues = await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM site_issues WHERE run_id = $1 AND ordinal >= $2 AND ordinal < $3`, [runId, first, first + ORDINAL_STRIDE]);
    const rows: Array<Omit<IssueRow, 'pages' | 'sources' | 'sources_count'> & { has_sources: boolean; sources_total: number | null }> = await tx.query(
      `INSERT INTO site_issues (run_id, ordinal, code, severity, count, detail, pages, n_pages, sources, sources_count, link_target_hash)
       SELECT $1, $${select.params.length + 2}::int + q.n, q.code, q.severity, q.count, q.detail, q.pages, jsonb_array_length(q.pages),
              q.sources, q.sources_count, q.link_target_hash
         FROM (${select.sql}) q
       RETURNING ordinal, code, severity, count, detail, sources IS NOT NULL OR link_target_hash IS NOT NULL AS has_sources,
                 coalesce(sources_count, jsonb_array_length(sources)) AS sources_total`,
      [runId, ...select.params, first],
    );
    if (rows.length > ORDINAL_STRIDE) throw new RangeError(`site check ${checkIndex}: more than ${ORDINAL_STRIDE} findings`);
    rows.sort((a, b) => a.ordinal - b.ordinal);
    const found = rows.map((r) => issueFromRow({ ...r, pages: [], sources: r.has_sources ? [] : null, sources_count: null }));
    const picked = listsFor(found, first).map((k) => rows[k].ordinal);
    const lists: Array<{ ordinal: number; pages: string[]; sources: NonNullable<SiteIssue['sources']> | null }> = picked.length === 0 ? [] : await tx.query(
      `SELECT i.ordinal, jsonb_path_query_array(i.pages, ${head}) AS pages,
              jsonb_path_query_array(${findingSourcesSql('i', String(Math.max(1, Math.floor(listCap))))}, ${head}) AS sources
         FROM site_issues i WHERE i.run_id = $1 AND i.ordinal = ANY($2::int[])`,
      [runId, picked],
    );
    const indexOf = new Map(rows.map((r, k) => [r.ordinal, k]));
    for (const l of lists) {
      const k = indexOf.get(l.ordinal)!;
      const issue = found[k];
      issue.pages = l.pages;
      if (l.sources !== null) {
        issue.sources = l.sources;
        const total = rows[k].sources_total;
        if (total !== null && total > l.sources.length) issue.sourcesCount = total;
      }
    }
    return found;
  });
  onChunk(issues, first);
}

/** Drops findings of checks the registry no longer has (ordinals at or past the last check's range). */
export async function deleteIssuesFromCheck(db: Db, runId: string, checkIndex: number): Promise<void> {
  await db.query(`DELETE FROM site_issues WHERE run_id = $1 AND ordinal >= $2`, [runId, checkIndex * ORDINAL_STRIDE]);
}

/** Inserts findings with consecutive ordinals from `firstOrdinal`, in statements of bounded rows and bytes. */
async function insertIssues(tx: Db, runId: string, firstOrdinal: number, issues: SiteIssue[]): Promise<void> {
  let chunk: string[] = [];
  let bytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await tx.query(
      `INSERT INTO site_issues (run_id, ordinal, code, severity, count, detail, pages, n_pages, sources, sources_count)
       SELECT $1, x.ordinal, x.code, x.severity, x.count, x.detail, x.pages, jsonb_array_length(x.pages), x.sources, x.sources_count
         FROM jsonb_to_recordset($2::jsonb)
           AS x(ordinal int, code text, severity text, count int, detail text, pages jsonb, sources jsonb, sources_count int)`,
      [runId, `[${chunk.join(',')}]`],
    );
    chunk = [];
    bytes = 0;
  };
  for (let i = 0; i < issues.length; i++) {
    const s = issues[i];
    const json = JSON.stringify({
      ordinal: firstOrdinal + i, code: s.code, severity: s.severity, count: s.count, detail: s.detail ?? null, pages: s.pages,
      sources: s.sources ?? null, sources_count: s.sourcesCount ?? null,
    });
    if (chunk.length >= INSERT_ROWS || (chunk.length > 0 && bytes + json.length > INSERT_BYTES)) await flush();
    chunk.push(json);
    bytes += json.length;
  }
  await flush();
}

/** site_issues i's columns as IssueRow, with the sources of link findings read from page_links. */
const COLUMNS = `i.ordinal, i.code, i.severity, i.count, i.detail, i.pages, ${findingSourcesSql('i', String(MAX_SOURCES_PER_ISSUE))} AS sources, i.sources_count`;

/** Every finding of a run (optionally of one code), complete, in the order they were computed. */
export async function readSiteIssues(db: Db, runId: string, code?: string): Promise<SiteIssue[]> {
  const rows: IssueRow[] = code
    ? await db.query(`SELECT ${COLUMNS} FROM site_issues i WHERE i.run_id = $1 AND i.code = $2 ORDER BY i.ordinal`, [runId, code])
    : await db.query(`SELECT ${COLUMNS} FROM site_issues i WHERE i.run_id = $1 ORDER BY i.ordinal`, [runId]);
  return rows.map(issueFromRow);
}

/** The summary's severity order (audit/summary.ts) as SQL over a `severity` column; unknown severities last. */
const SEVERITY_ORDER_SQL = `CASE severity ${Object.entries(SEVERITY_RANK).map(([sev, rank]) => `WHEN '${sev}' THEN ${rank}`).join(' ')} ELSE ${Object.keys(SEVERITY_RANK).length} END`;

/**
 * A few findings of every kind a run has, for a short report: per code the `perCode` covering the most pages (a
 * broken link's sources, a duplicate group's pages), each with its first page only and, when it has sources, their
 * number as sourcesCount (a link finding's count is its one target). Critical kinds first, then the kinds with the
 * most findings.
 */
export async function siteIssueExamples(db: Db, runId: string, perCode: number): Promise<SiteIssue[]> {
  const rows: IssueRow[] = await db.query(
    `SELECT ordinal, code, severity, count, detail, jsonb_build_array(pages->0) AS pages, NULL::jsonb AS sources, n_sources AS sources_count
       FROM (SELECT i.*, row_number() OVER (PARTITION BY code ORDER BY coalesce(nullif(n_sources, 0), count) DESC, ordinal) AS k,
                    count(*) OVER (PARTITION BY code) AS findings
               FROM (SELECT i.*, coalesce(i.sources_count, jsonb_array_length(i.sources)) AS n_sources
                       FROM site_issues i WHERE i.run_id = $1) i) x
      WHERE k <= $2
      ORDER BY ${SEVERITY_ORDER_SQL}, findings DESC, code, k`,
    [runId, perCode],
  );
  return rows.map(issueFromRow);
}

/** The findings in keyset batches (flat memory for exports of any size). */
export async function* siteIssueBatches(db: Db, runId: string, batch = 100): AsyncGenerator<SiteIssue[]> {
  let after = -1;
  for (;;) {
    const rows: IssueRow[] = await db.query(
      `SELECT ${COLUMNS} FROM site_issues i WHERE i.run_id = $1 AND i.ordinal > $2 ORDER BY i.ordinal LIMIT $3`,
      [runId, after, batch],
    );
    if (rows.length === 0) return;
    yield rows.map(issueFromRow);
    after = rows[rows.length - 1].ordinal;
    if (rows.length < batch) return;
  }
}

/** url → the site findings that list it (for page scores and the pages export). */
export async function siteFindingsByUrl(db: Db, runId: string): Promise<Map<string, Finding[]>> {
  const rows: Array<{ url: string; code: string; severity: Finding['severity']; detail: string | null }> = await db.query(
    `SELECT u.url, s.code, s.severity, s.detail
       FROM site_issues s CROSS JOIN LATERAL jsonb_array_elements_text(s.pages) u(url)
      WHERE s.run_id = $1 ORDER BY s.ordinal`,
    [runId],
  );
  const out = new Map<string, Finding[]>();
  for (const r of rows) {
    const list = out.get(r.url) ?? [];
    list.push({ code: r.code, severity: r.severity, ...(r.detail ? { detail: r.detail } : {}) });
    out.set(r.url, list);
  }
  return out;
}

/** Distinct (code, page) pairs of the run's site findings (run comparison). */
export async function siteFindingPairs(db: Db, runId: string): Promise<Array<{ code: string; url: string; severity: string }>> {
  return db.query(
    `SELECT DISTINCT s.code, u.url, s.severity
       FROM site_issues s CROSS JOIN LATERAL jsonb_array_elements_text(s.pages) u(url)
      WHERE s.run_id = $1`,
    [runId],
  );
}

/** Groups and sources listed with each affected page of the report are capped at this many. */
const ITEM_LIST_CAP = 100;

export interface SiteIssueItem {
  url: string;
  detail: string | null;
  /** The other pages of the group (first ITEM_LIST_CAP), when the finding groups pages. */
  group?: string[];
  groupSize?: number;
  /** Sources that concern this page (first ITEM_LIST_CAP). */
  sources: Array<{ from: string; to: string; text: string }>;
  /** How many sources concern this page, when the finding is about this page alone (a link target) and has more. */
  sourcesTotal?: number;
}

/**
 * One code's affected pages, flattened in finding order, from position `offset`: the findings overlapping the window
 * are found by their running page counts, so only their page lists are expanded.
 */
export async function siteIssueItems(db: Db, runId: string, code: string, offset: number, limit: number): Promise<{ count: number; items: SiteIssueItem[] }> {
  const [{ n }] = await db.query(`SELECT coalesce(sum(n_pages), 0)::int AS n FROM site_issues WHERE run_id = $1 AND code = $2`, [runId, code]);
  if (offset >= n) return { count: n, items: [] };
  const rows: Array<{ url: string; detail: string | null; n_pages: number; grp: string[] | null; sources: SiteIssueItem['sources']; sources_count: number | null }> = await db.query(
    `WITH s AS (
       SELECT ordinal, n_pages, sum(n_pages) OVER (ORDER BY ordinal) - n_pages AS start
         FROM site_issues WHERE run_id = $1 AND code = $2
     ), w AS (
       SELECT ordinal, start FROM s WHERE start < $3::bigint + $4::bigint AND start + n_pages > $3::bigint
     )
     SELECT u.url, i.detail, i.n_pages, i.sources_count,
            CASE WHEN i.n_pages > 1 THEN jsonb_path_query_array(i.pages, '$[0 to ${ITEM_LIST_CAP - 1}]') END AS grp,
            coalesce(${linkSourcesSql('i', String(ITEM_LIST_CAP))}, (SELECT coalesce(jsonb_agg(q.value), '[]'::jsonb) FROM (
               SELECT v.value FROM jsonb_array_elements(coalesce(i.sources, '[]'::jsonb)) v
                WHERE v.value->>'to' = u.url OR v.value->>'from' = u.url LIMIT ${ITEM_LIST_CAP}) q)) AS sources
       FROM w
       JOIN site_issues i ON i.run_id = $1 AND i.ordinal = w.ordinal
      CROSS JOIN LATERAL jsonb_array_elements_text(i.pages) WITH ORDINALITY u(url, ord)
      WHERE w.start + u.ord - 1 >= $3::bigint AND w.start + u.ord - 1 < $3::bigint + $4::bigint
      ORDER BY w.start + u.ord`,
    [runId, code, offset, limit],
  );
  return {
    count: n,
    items: rows.map((r) => ({
      url: r.url,
      detail: r.detail,
      ...(r.grp ? { group: r.grp, groupSize: r.n_pages } : {}),
      sources: r.sources,
      ...(r.n_pages === 1 && r.sources_count !== null && r.sources_count > r.sources.length ? { sourcesTotal: r.sources_count } : {}),
    })),
  };
}

/** The site findings that list one page (at most 100, in order), each with at most 20 of its sources touching it. */
export async function siteFindingsOfPage(db: Db, runId: string, url: string): Promise<Array<{ code: string; severity: SiteIssue['severity']; detail: string | null; n_pages: number; sources: SiteIssue['sources'] }>> {
  return db.query(
    `SELECT i.code, i.severity, i.detail, i.n_pages,
            coalesce(${linkSourcesSql('i', '20')}, (SELECT coalesce(jsonb_agg(v.value), '[]'::jsonb) FROM (
               SELECT v.value FROM jsonb_array_elements(coalesce(i.sources, '[]'::jsonb)) v
                WHERE v.value->>'to' = $2 OR v.value->>'from' = $2 LIMIT 20) v)) AS sources
       FROM site_issues i WHERE i.run_id = $1 AND i.pages @> jsonb_build_array($2::text) ORDER BY i.ordinal LIMIT 100`,
    [runId, url],
  );
}
