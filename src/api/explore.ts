// Reading one run the way the dashboard's tables need it, every list paginated on the server by keyset:
//   GET /api/runs/:id/pages     every audited URL, sortable by a whitelisted column, filterable; cursor = a page id
//   GET /api/runs/:id/page      one URL: its row, page and site findings, AI suggestion, link counts
//   GET /api/runs/:id/links     inlinks (to_hash, indexed) or outlinks (from_hash) of one URL; cursor = the other hash
//   GET /api/runs/:id/history   the site's completed runs with health score and finding counts (for a chart)
// The statements are in src/db/repositories (pages, links, runs); this file shapes their rows for the API.
import express from 'express';
import type { DataSource } from 'typeorm';
import { findCheck } from '../audit/catalogue';
import { DELIBERATE_FAILURES } from '../audit/records';
import { normalizeUrl, urlHash } from '../audit/url';
import { notFound, parseOr400 } from './errors';
import { latestSuggestionOfPage } from '../db/repositories/aiJobs';
import * as links from '../db/repositories/links';
import * as pages from '../db/repositories/pages';
import { completedRunsOfSite, type RunRow } from '../db/repositories/runs';
import { siteFindingsOfPage } from '../db/repositories/siteIssues';
import { findRunRow } from './runService';
import { historyQuerySchema, linksQuerySchema, listPagesQuerySchema, pageQuerySchema, runIdParamSchema, type ListPagesQuery } from './schemas';

type Db = Pick<DataSource, 'query'>;

export async function listPages(db: Db, runId: string, q: ListPagesQuery) {
  const { rows, total } = await pages.pageTable(db, runId, q);
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
  const row = await pages.pageByHashes(db, runId, hashes);
  if (!row) throw notFound(`page ${url} in run ${runId}`);
  const [site, inlinks, outlinks, suggestion] = await Promise.all([
    siteFindingsOfPage(db, runId, row.url),
    links.countInlinks(db, runId, row.url_hash),
    links.countOutlinks(db, runId, row.url_hash),
    latestSuggestionOfPage(db, runId, row.id),
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
      ...row.issues.map((f) => ({ scope: 'page', ...f, ...explain(f.code) })),
      ...site.map((s) => ({ scope: 'site', code: s.code, severity: s.severity, detail: s.detail, groupSize: s.n_pages, sources: s.sources, ...explain(s.code) })),
    ],
    inlinks,
    outlinks,
    suggestion: suggestion ? { jobId: suggestion.job_id, model: suggestion.model, status: suggestion.status, suggestion: suggestion.result, error: suggestion.error } : null,
  };
}

export async function pageLinks(db: Db, runId: string, url: string, direction: 'in' | 'out', limit: number, cursor: string | undefined) {
  const hashes = hashesOf(url);
  // Inlinks are found by (run_id, to_hash) and paged by from_hash; outlinks by (run_id, from_hash), paged by to_hash.
  const rows = direction === 'in'
    ? await links.inlinksOf(db, runId, hashes, cursor ?? null, limit + 1)
    : await links.outlinksOf(db, runId, hashes, cursor ?? null, limit + 1);
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
  const { pages: n, critical } = await pages.healthCounts(db, runId, DELIBERATE_FAILURES);
  const value = { pages: n, healthScore: n === 0 ? 100 : Math.round(((n - critical) / n) * 1000) / 10 };
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
