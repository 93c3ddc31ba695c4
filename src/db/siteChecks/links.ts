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
 * Targets a link finding is read for at once: a site's broken or redirecting targets come in chunks, each written
 * before the next is read, so summarize never holds all their sources (thousands of targets at 100k pages).
 */
export const LINK_TARGET_CHUNK = 250;

/** A link check's two statements: its targets in URL order, then one chunk of targets ($3: their url hashes) with their sources. */
interface LinkTargetSql {
  targets: string;
  chunk: string;
}

/**
 * The targets matching `targetCondition` (SQL over `t`), in URL order; with `onlyLinked`, only those with a link
 * matching `linkCondition` (for conditions most pages meet, such as "indexable"). Then, per chunk, the targets by the
 * (run_id, url_hash) key, their incoming links by the (run_id, to_hash) index and the source pages by the key;
 * sources are numbered per target so only the first MAX_SOURCES_PER_ISSUE ($2) are aggregated.
 */
function linkTargetSql(targetCondition: string, linkCondition: string, onlyLinked = false): LinkTargetSql {
  const links = `
      JOIN page_links l ON l.run_id = $1 AND l.to_hash = t.url_hash
      JOIN page_audits s ON s.run_id = $1 AND s.url_hash = l.from_hash
     WHERE l.from_hash <> l.to_hash AND (${linkCondition})`;
  return {
    targets: `
  SELECT t.url_hash FROM page_audits t
   WHERE t.run_id = $1 AND (${targetCondition})${onlyLinked ? `
     AND EXISTS (SELECT 1 FROM page_links l JOIN page_audits s ON s.run_id = $1 AND s.url_hash = l.from_hash
                  WHERE l.run_id = $1 AND l.to_hash = t.url_hash AND l.from_hash <> l.to_hash AND (${linkCondition}))` : ''}
   ORDER BY t.url`,
    chunk: `
  WITH t AS MATERIALIZED (
    SELECT t.url_hash, t.url, t.status_code, t.failure_reason, t.final_url
      FROM page_audits t WHERE t.run_id = $1 AND t.url_hash = ANY($3::text[])
  ), l AS (
    SELECT t.url AS target, t.status_code, t.failure_reason, t.final_url, s.url AS from_url, l.anchor_text,
           row_number() OVER (PARTITION BY t.url ORDER BY s.url) AS n
      FROM t ${links}
  )
  SELECT target, status_code, failure_reason, final_url, count(*)::int AS n_sources,
         json_agg(json_build_object('from', from_url, 'text', anchor_text) ORDER BY from_url) FILTER (WHERE n <= $2) AS sources
    FROM l
   GROUP BY target, status_code, failure_reason, final_url
   ORDER BY target`,
  };
}

function linkTargetCheck(code: SiteCheckCode, sql: LinkTargetSql, detail: (t: TargetRow) => string | undefined): SiteCheck {
  async function* chunks(db: Db, runId: string): AsyncGenerator<SiteIssue[]> {
    const targets: Array<{ url_hash: string }> = await db.query(sql.targets, [runId]);
    for (let i = 0; i < targets.length; i += LINK_TARGET_CHUNK) {
      const hashes = targets.slice(i, i + LINK_TARGET_CHUNK).map((t) => t.url_hash);
      const rows: TargetRow[] = await db.query(sql.chunk, [runId, MAX_SOURCES_PER_ISSUE, hashes]);
      if (rows.length === 0) continue;
      yield rows.map((b) => {
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
      });
    }
  }
  return {
    name: code,
    codes: [code],
    chunks,
    async run(db, runId): Promise<SiteIssue[]> {
      const out: SiteIssue[] = [];
      for await (const issues of chunks(db, runId)) out.push(...issues);
      return out;
    },
  };
}

const BROKEN_SQL = linkTargetSql(
  `t.status_code >= 400 OR (t.status = 'failed' AND t.failure_reason NOT IN (${DELIBERATE_FAILURES.map((r) => `'${r}'`).join(', ')}))`,
  'true',
);
// The crawler's own redirect → target edges (from a 3xx page) are not links anyone wrote.
const REDIRECT_SQL = linkTargetSql(`t.status_code BETWEEN 300 AND 399`, `coalesce(s.status_code, 0) NOT BETWEEN 300 AND 399`);
// Most pages are indexable, few are linked with nofollow: the targets are those with a nofollow link.
const NOFOLLOW_SQL = linkTargetSql(`t.status = 'ok' AND t.status_code = 200 AND t.indexable`, `l.nofollow`, true);

/** Broken internal links: link targets that answered 4xx/5xx or could not be fetched, with their source pages. */
export const brokenInternalLink = linkTargetCheck('broken_internal_link', BROKEN_SQL, (t) => (t.status_code ? `HTTP ${t.status_code}` : (t.failure_reason ?? 'failed')));

/** Internal links to a URL that redirects. */
export const internalLinkToRedirect = linkTargetCheck(
  'internal_link_to_redirect', REDIRECT_SQL,
  (t) => `HTTP ${t.status_code}${t.final_url && t.final_url !== '' ? ` → ${t.final_url}` : ''}`,
);

/** rel=nofollow links to indexable pages of the site. */
export const nofollowToIndexable = linkTargetCheck('nofollow_to_indexable', NOFOLLOW_SQL, () => undefined);

/** Each check's target list, and one chunk (the plan test gives it a sample of targets). */
export const LINK_QUERIES: SiteQuery[] = [
  ['broken_internal_link', BROKEN_SQL],
  ['internal_link_to_redirect', REDIRECT_SQL],
  ['nofollow_to_indexable', NOFOLLOW_SQL],
].flatMap(([name, q]) => {
  const sql = q as LinkTargetSql;
  return [
    { name: `${name as string}: targets`, sql: sql.targets },
    {
      name: name as string,
      sql: sql.chunk,
      // A chunk as the check reads it: the first targets of the run.
      paramsFor: async (db: Db, runId: string) => {
        const targets: Array<{ url_hash: string }> = await db.query(sql.targets, [runId]);
        return [MAX_SOURCES_PER_ISSUE, targets.slice(0, LINK_TARGET_CHUNK).map((t) => t.url_hash)];
      },
    },
  ];
});
