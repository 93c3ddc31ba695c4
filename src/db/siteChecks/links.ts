// Internal link findings, one per link target with its source pages and anchor texts: broken targets, targets that
// redirect, nofollow links to indexable pages.
import type { SiteIssue } from '../../workflows/contracts';
import type { SiteCheckCode } from '../../audit/catalogue';
import { DELIBERATE_FAILURES } from '../../audit/records';
import { MAX_SOURCES_PER_ISSUE, severity, type Db, type Source, type SiteCheck, type SiteQuery } from './types';

interface TargetRow {
  target: string;
  status_code: number | null;
  failure_reason: string | null;
  final_url: string | null;
  n_sources: number;
  sources: Source[];
}

/**
 * Targets a link finding reads at once: a site's broken or redirecting targets are fetched from a cursor over the one
 * query, each chunk written before the next is read, so summarize never holds all their sources (thousands of targets
 * at 100k pages) and PostgreSQL still runs a single plan (chunked queries each probed the link index at random).
 */
export const LINK_TARGET_CHUNK = 250;

/**
 * Targets matching `targetCondition` (SQL over `t`) are selected first (few, for broken and redirecting targets), then
 * their incoming links by the (run_id, to_hash) index, then the source pages by the (run_id, url_hash) key; sources are
 * numbered per target so only the first MAX_SOURCES_PER_ISSUE are aggregated.
 */
function linkTargetSql(targetCondition: string, linkCondition: string): string {
  return `
  WITH t AS MATERIALIZED (
    SELECT t.url_hash, t.url, t.status_code, t.failure_reason, t.final_url
      FROM page_audits t WHERE t.run_id = $1 AND (${targetCondition})
  ), l AS (
    SELECT t.url AS target, t.status_code, t.failure_reason, t.final_url, s.url AS from_url, l.anchor_text,
           row_number() OVER (PARTITION BY t.url ORDER BY s.url) AS n
      FROM t
      JOIN page_links l ON l.run_id = $1 AND l.to_hash = t.url_hash
      JOIN page_audits s ON s.run_id = $1 AND s.url_hash = l.from_hash
     WHERE l.from_hash <> l.to_hash AND (${linkCondition})
  )
  SELECT target, status_code, failure_reason, final_url, count(*)::int AS n_sources,
         json_agg(json_build_object('from', from_url, 'text', anchor_text) ORDER BY from_url) FILTER (WHERE n <= $2) AS sources
    FROM l
   GROUP BY target, status_code, failure_reason, final_url
   ORDER BY target`;
}

/**
 * Rows of `sql` in chunks through a cursor. It must run inside a transaction (summarize gives each check its own), and
 * is planned for all its rows, as the query alone would be (a cursor's default plan favours the first rows).
 */
async function* cursorChunks<T>(tx: Db, name: string, sql: string, params: unknown[], size: number): AsyncGenerator<T[]> {
  await tx.query(`SET LOCAL cursor_tuple_fraction = 1.0`);
  await tx.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  try {
    for (;;) {
      const rows: T[] = await tx.query(`FETCH ${size} FROM ${name}`);
      if (rows.length > 0) yield rows;
      if (rows.length < size) return;
    }
  } finally {
    await tx.query(`CLOSE ${name}`);
  }
}

function linkTargetCheck(code: SiteCheckCode, sql: string, detail: (t: TargetRow) => string | undefined): SiteCheck {
  const toIssue = (b: TargetRow): SiteIssue => {
    const d = detail(b);
    return {
      code,
      severity: severity(code),
      pages: [b.target],
      count: 1,
      ...(d !== undefined ? { detail: d } : {}),
      sources: b.sources.map((s) => ({ from: s.from, to: b.target, text: s.text })),
      ...(b.n_sources > b.sources.length ? { sourcesCount: b.n_sources } : {}),
    };
  };
  return {
    name: code,
    codes: [code],
    async *chunks(tx, runId) {
      for await (const rows of cursorChunks<TargetRow>(tx, `${code}_targets`, sql, [runId, MAX_SOURCES_PER_ISSUE], LINK_TARGET_CHUNK)) {
        yield rows.map(toIssue);
      }
    },
    async run(db, runId): Promise<SiteIssue[]> {
      const rows: TargetRow[] = await db.query(sql, [runId, MAX_SOURCES_PER_ISSUE]);
      return rows.map(toIssue);
    },
  };
}

const BROKEN_SQL = linkTargetSql(
  `t.status_code >= 400 OR (t.status = 'failed' AND t.failure_reason NOT IN (${DELIBERATE_FAILURES.map((r) => `'${r}'`).join(', ')}))`,
  'true',
);
// The crawler's own redirect → target edges (from a 3xx page) are not links anyone wrote.
const REDIRECT_SQL = linkTargetSql(`t.status_code BETWEEN 300 AND 399`, `coalesce(s.status_code, 0) NOT BETWEEN 300 AND 399`);
const NOFOLLOW_SQL = linkTargetSql(`t.status = 'ok' AND t.status_code = 200 AND t.indexable`, `l.nofollow`);

/** Broken internal links: link targets that answered 4xx/5xx or could not be fetched, with their source pages. */
export const brokenInternalLink = linkTargetCheck('broken_internal_link', BROKEN_SQL, (t) => (t.status_code ? `HTTP ${t.status_code}` : (t.failure_reason ?? 'failed')));

/** Internal links to a URL that redirects. */
export const internalLinkToRedirect = linkTargetCheck(
  'internal_link_to_redirect', REDIRECT_SQL,
  (t) => `HTTP ${t.status_code}${t.final_url && t.final_url !== '' ? ` → ${t.final_url}` : ''}`,
);

/** rel=nofollow links to indexable pages of the site. */
export const nofollowToIndexable = linkTargetCheck('nofollow_to_indexable', NOFOLLOW_SQL, () => undefined);

export const LINK_QUERIES: SiteQuery[] = [
  { name: 'broken_internal_link', sql: BROKEN_SQL, params: [MAX_SOURCES_PER_ISSUE] },
  { name: 'internal_link_to_redirect', sql: REDIRECT_SQL, params: [MAX_SOURCES_PER_ISSUE] },
  { name: 'nofollow_to_indexable', sql: NOFOLLOW_SQL, params: [MAX_SOURCES_PER_ISSUE] },
];
