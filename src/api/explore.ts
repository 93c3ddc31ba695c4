// Reading one run the way the dashboard's tables need it, every list paginated on the server by keyset:
//   GET /api/runs/:id/pages     every audited URL, sortable by a whitelisted column, filterable; cursor = a page id
//   GET /api/runs/:id/page      one URL: its row, page and site findings, AI suggestion, link counts
//   GET /api/runs/:id/links     inlinks (to_hash, indexed) or outlinks (from_hash) of one URL; cursor = the other hash
//   GET /api/runs/:id/history   the site's completed runs with health score and finding counts (for a chart)
// page_links is read by its stable columns only (run_id, from_hash, to_hash, to_url, anchor_text, nofollow).
import express from 'express';
import type { DataSource } from 'typeorm';
import { findCheck } from '../audit/catalogue';
import { DELIBERATE_FAILURES } from '../audit/records';
import { normalizeUrl, urlHash } from '../audit/url';
import { notFound, parseOr400 } from './errors';
import { completedRunsOfSite, type RunRow } from '../db/repositories/runs';
import { findRunRow } from './runService';
import { historyQuerySchema, linksQuerySchema, listPagesQuerySchema, pageQuerySchema, runIdParamSchema, type ListPagesQuery, type PageSort } from './schemas';

type Db = Pick<DataSource, 'query'>;

/**
 * Sort keys: a whitelist of SQL expressions, never built from input. NULLs become a sentinel below every value so
 * the keyset comparison `(key, id) > (…)` stays total (a NULL would compare as unknown and end the scroll).
 */
const SORT_KEYS: Record<PageSort, string> = {
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

const STATUS_CLASS: Record<string, string> = {
  '2xx': 'p.status_code BETWEEN 200 AND 299',
  '3xx': 'p.status_code BETWEEN 300 AND 399',
  '4xx': 'p.status_code BETWEEN 400 AND 499',
  '5xx': 'p.status_code BETWEEN 500 AND 599',
  none: 'p.status_code IS NULL',
};

const PAGE_COLUMNS = `p.url, p.final_url, p.status, p.status_code, p.content_type, p.ttfb_ms, p.duration_ms, p.bytes, p.depth, p.title,
  p.description, p.h1, p.h1_count, p.canonical, p.indexable, p.noindex, p.word_count, p.lang, p.issues, p.redirect_chain,
  p.failure_reason, p.failure_detail, p.attempts, p.audited_at, jsonb_array_length(p.issues) AS finding_count,
  p.data->'render' AS render`;

/** `%`, `_` and `\` match themselves in a text search. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function listPages(db: Db, runId: string, q: ListPagesQuery) {
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
       SELECT p.id, ${PAGE_COLUMNS} FROM w JOIN page_audits p ON p.id = w.id ORDER BY ${key} ${dir}, p.id ${dir}`,
      params,
    ) as Promise<Array<Record<string, any>>>,
    // The total only with the first page: later pages need not count again.
    q.cursor ? undefined : db.query(`SELECT count(*)::int AS n FROM page_audits p WHERE ${filters}`, params.slice(0, -1)).then((r: Array<{ n: number }>) => r[0].n),
  ]);
  return {
    // `render` (what JavaScript rendering changed) only on pages of render: "chromium" runs.
    items: rows.slice(0, q.limit).map(({ id: _id, render, ...r }) => camel(render === null ? r : { ...r, render })),
    nextCursor: rows.length > q.limit ? String(rows[q.limit - 1].id) : null,
    ...(total !== undefined ? { total } : {}),
    sort: q.sort,
    order: q.order,
  };
}

/** Hashes a URL may be stored under: as given (the dashboard passes stored URLs back) and normalized. */
function hashesOf(url: string): string[] {
  const n = normalizeUrl(url);
  return [...new Set([urlHash(url), ...(n ? [urlHash(n)] : [])])];
}

export async function pageDetail(db: Db, runId: string, url: string) {
  const hashes = hashesOf(url);
  const [row] = await db.query(
    `SELECT p.id, p.url_hash, ${PAGE_COLUMNS}, p.data FROM page_audits p WHERE p.run_id = $1 AND p.url_hash = ANY($2::text[]) LIMIT 1`,
    [runId, hashes],
  );
  if (!row) throw notFound(`page ${url} in run ${runId}`);
  const [site, [{ inlinks }], [{ outlinks }], suggestion] = await Promise.all([
    db.query(
      `SELECT s.code, s.severity, s.detail, s.n_pages,
              (SELECT coalesce(jsonb_agg(v.value), '[]'::jsonb) FROM (
                 SELECT v.value FROM jsonb_array_elements(coalesce(s.sources, '[]'::jsonb)) v
                  WHERE v.value->>'to' = $2 OR v.value->>'from' = $2 LIMIT 20) v) AS sources
         FROM site_issues s WHERE s.run_id = $1 AND s.pages @> jsonb_build_array($2::text) ORDER BY s.ordinal LIMIT 100`,
      [runId, row.url],
    ),
    db.query(`SELECT count(*)::int AS inlinks FROM page_links WHERE run_id = $1 AND to_hash = $2`, [runId, row.url_hash]),
    db.query(`SELECT count(*)::int AS outlinks FROM page_links WHERE run_id = $1 AND from_hash = $2`, [runId, row.url_hash]),
    db.query(
      `SELECT j.id AS job_id, j.model, i.status, i.result, i.error FROM ai_batch_jobs j JOIN ai_batch_items i ON i.job_id = j.id
        WHERE j.run_id = $1 AND i.page_id = $2 ORDER BY j.created_at DESC LIMIT 1`,
      [runId, row.id],
    ),
  ]);
  const { id: _id, url_hash: _h, data, ...rest } = row;
  // Stored findings: a code from an older version may no longer be in the catalogue; it is shown by its code alone.
  const explain = (code: string) => {
    const c = findCheck(code);
    return c ? { title: c.title, category: c.category, why: c.why, fix: c.fix } : { title: code };
  };
  return {
    runId,
    ...camel(rest),
    hreflang: data?.hreflang ?? [],
    findings: [
      ...(row.issues as Array<{ code: string; severity: string; detail?: string }>).map((f) => ({ scope: 'page', ...f, ...explain(f.code) })),
      ...site.map((s: any) => ({ scope: 'site', code: s.code, severity: s.severity, detail: s.detail, groupSize: s.n_pages, sources: s.sources, ...explain(s.code) })),
    ],
    inlinks,
    outlinks,
    suggestion: suggestion[0] ? { jobId: suggestion[0].job_id, model: suggestion[0].model, status: suggestion[0].status, suggestion: suggestion[0].result, error: suggestion[0].error } : null,
  };
}

export async function pageLinks(db: Db, runId: string, url: string, direction: 'in' | 'out', limit: number, cursor: string | undefined) {
  const hashes = hashesOf(url);
  // Inlinks are found by (run_id, to_hash) and paged by from_hash; outlinks by (run_id, from_hash), paged by to_hash.
  const rows: Array<Record<string, any>> = direction === 'in'
    ? await db.query(
      `SELECT l.from_hash AS k, s.url AS url, l.anchor_text, l.nofollow, s.status_code
         FROM page_links l LEFT JOIN page_audits s ON s.run_id = l.run_id AND s.url_hash = l.from_hash
        WHERE l.run_id = $1 AND l.to_hash = ANY($2::text[]) AND ($3::text IS NULL OR l.from_hash > $3)
        ORDER BY l.from_hash LIMIT $4`,
      [runId, hashes, cursor ?? null, limit + 1],
    )
    : await db.query(
      `SELECT l.to_hash AS k, l.to_url AS url, l.anchor_text, l.nofollow, t.status_code
         FROM page_links l LEFT JOIN page_audits t ON t.run_id = l.run_id AND t.url_hash = l.to_hash
        WHERE l.run_id = $1 AND l.from_hash = ANY($2::text[]) AND ($3::text IS NULL OR l.to_hash > $3)
        ORDER BY l.to_hash LIMIT $4`,
      [runId, hashes, cursor ?? null, limit + 1],
    );
  return {
    url,
    direction,
    items: rows.slice(0, limit).map((r) => ({ url: r.url, anchorText: r.anchor_text, nofollow: r.nofollow, statusCode: r.status_code })),
    nextCursor: rows.length > limit ? String(rows[limit - 1].k) : null,
  };
}

/** Health of a completed run never changes (a re-run changes finished_at): computed once per process. */
const healthCache = new Map<string, { pages: number; healthScore: number }>();

async function runHealth(db: Db, runId: string, finishedAt: string): Promise<{ pages: number; healthScore: number }> {
  const key = `${runId}@${finishedAt}`;
  const hit = healthCache.get(key);
  if (hit) return hit;
  // The report's health score (src/audit/score.ts) in one SQL pass: pages with a critical page or site finding, or an
  // audit failure other than the deliberate skips.
  const [{ pages, critical }] = await db.query(
    `WITH crit AS (
       SELECT DISTINCT u.url FROM site_issues s CROSS JOIN LATERAL jsonb_array_elements_text(s.pages) u(url)
        WHERE s.run_id = $1 AND s.severity = 'critical')
     SELECT count(*)::int AS pages,
            count(*) FILTER (WHERE (p.status = 'failed' AND NOT coalesce(p.failure_reason, '') = ANY($2::text[]))
                                OR p.issues @> '[{"severity":"critical"}]' OR p.url IN (SELECT url FROM crit))::int AS critical
       FROM page_audits p WHERE p.run_id = $1`,
    [runId, [...DELIBERATE_FAILURES]],
  );
  const value = { pages, healthScore: pages === 0 ? 100 : Math.round(((pages - critical) / pages) * 1000) / 10 };
  if (healthCache.size > 5_000) healthCache.delete(healthCache.keys().next().value!);
  healthCache.set(key, value);
  return value;
}

export async function siteHistory(db: Db, run: Pick<RunRow, 'site_host'>, limit: number) {
  const runs = await completedRunsOfSite(db, run.site_host, limit);
  const items = [];
  for (const r of runs.reverse()) {
    const byCode: Record<string, number> = r.summary?.issuesByCode ?? {};
    const findings = { critical: 0, warning: 0, notice: 0, total: 0 };
    for (const [code, n] of Object.entries(byCode)) {
      // A stored summary may hold a code this version no longer has: counted in the total, under no severity.
      const sev = findCheck(code)?.severity;
      if (sev) findings[sev] += n;
      findings.total += n;
    }
    const health = await runHealth(db, r.id, new Date(r.finished_at ?? r.created_at).toISOString());
    items.push({
      runId: r.id, createdAt: r.created_at, finishedAt: r.finished_at,
      pagesAudited: r.summary?.pagesAudited ?? health.pages, pagesFailed: r.summary?.pagesFailed ?? 0,
      healthScore: health.healthScore, findings,
    });
  }
  return { siteHost: run.site_host, items };
}

export function createExploreRouter(deps: { db: DataSource }): express.Router {
  const { db } = deps;
  const router = express.Router();
  const runParam = (req: express.Request) => parseOr400(runIdParamSchema, req.params).id;

  router.get('/api/runs/:id/pages', async (req, res) => {
    const run = await findRunRow(db, runParam(req));
    res.json(await listPages(db, run.id, parseOr400(listPagesQuerySchema, req.query)));
  });

  router.get('/api/runs/:id/page', async (req, res) => {
    const run = await findRunRow(db, runParam(req));
    const q = parseOr400(pageQuerySchema, req.query);
    res.json(await pageDetail(db, run.id, q.url));
  });

  router.get('/api/runs/:id/links', async (req, res) => {
    const run = await findRunRow(db, runParam(req));
    const q = parseOr400(linksQuerySchema, req.query);
    res.json(await pageLinks(db, run.id, q.url, q.direction, q.limit, q.cursor));
  });

  router.get('/api/runs/:id/history', async (req, res) => {
    const run = await findRunRow(db, runParam(req));
    const q = parseOr400(historyQuerySchema, req.query);
    res.json(await siteHistory(db, run, q.limit));
  });

  return router;
}

function camel(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), v]));
}
