// Report, exports and run comparison:
//   GET /api/runs/:id/report            findings grouped by category and severity, explanations, health score
//   GET /api/runs/:id/report?code=…     the affected pages of one check (cursor pagination)
//   GET /api/runs/:id/export?type=pages|issues|links&format=csv|json   streamed (keyset batches), never buffered
//   GET /api/runs/:id/compare?with=<runId|previous>                    new / fixed / persisting findings by (code, page)
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import express from 'express';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { CHECKS, findCheck, type CheckDefinition } from '../audit/catalogue';
import { hasCriticalFinding, pageScore, siteHealth, SEVERITY_PENALTY, type ScoredPage } from '../audit/score';
import type { Config } from '../config';
import * as pages from '../db/repositories/pages';
import { outlinksOfPages } from '../db/repositories/links';
import type { RunRow } from '../db/repositories/runs';
import { renderHtmlReport, type HtmlReportInput } from '../reports/html';
import { compareRuns, previousRunId } from '../reports';
import { siteFindingsByUrl, siteIssueBatches, siteIssueItems } from '../db/repositories/siteIssues';
import type { RunSummary } from '../workflows/contracts';
import { HttpError, notFound, parseOr400 } from './errors';
import { findRunRow, webUiUrl } from './runService';
import { cursorSchema, queryInt, runIdParamSchema } from './schemas';

const SEVERITIES = ['critical', 'warning', 'notice'] as const;

export const reportQuerySchema = z
  .object({
    code: z.string().regex(/^[a-z0-9_]+$/, 'is not an issue code').max(100).optional(),
    limit: queryInt(1, 500).default(50),
    cursor: cursorSchema.optional(),
  })
  .strict();

export const EXPORT_TYPES = ['pages', 'issues', 'links'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];
export const exportQuerySchema = z
  .object({ type: z.enum(EXPORT_TYPES), format: z.enum(['csv', 'json']).default('csv') })
  .strict();

export const compareQuerySchema = z
  .object({
    with: z.string().min(1).max(300).regex(/^[A-Za-z0-9:._~-]+$/, 'must be a run id or "previous"').default('previous'),
    limit: queryInt(1, 10_000).default(1_000),
  })
  .strict();

type Db = Pick<DataSource, 'query'>;

const PAGE_COLUMNS = ['url', 'status', 'status_code', 'final_url', 'depth', 'title', 'description', 'h1', 'canonical', 'indexable',
  'word_count', 'lang', 'ttfb_ms', 'bytes', 'failure_reason', 'score', 'critical', 'warning', 'notice', 'issues'] as const;
const ISSUE_COLUMNS = ['url', 'code', 'severity', 'category', 'scope', 'title', 'detail'] as const;
const LINK_COLUMNS = ['from_url', 'to_url', 'anchor_text', 'nofollow', 'to_status_code'] as const;

export function exportColumns(type: ExportType): readonly string[] {
  return type === 'pages' ? PAGE_COLUMNS : type === 'issues' ? ISSUE_COLUMNS : LINK_COLUMNS;
}

/**
 * Rows of one export, in a stable order (page id, then site findings in the order they were computed). Site findings
 * come from the site_issues table (full lists), not from the summary, whose copy is capped.
 */
export async function* exportRows(db: Db, runId: string, type: ExportType): AsyncGenerator<Record<string, unknown>> {
  if (type === 'pages') {
    const siteByUrl = await siteFindingsByUrl(db, runId);
    for await (const rows of pages.exportPageBatches(db, runId)) {
      for (const r of rows) {
        const findings = [...r.issues, ...(siteByUrl.get(r.url) ?? [])];
        const count = (s: string) => findings.filter((f) => f.severity === s).length;
        yield {
          url: r.url, status: r.status, status_code: r.status_code, final_url: r.final_url, depth: r.depth, title: r.title,
          description: r.description, h1: r.h1, canonical: r.canonical, indexable: r.indexable, word_count: r.word_count, lang: r.lang,
          ttfb_ms: r.ttfb_ms, bytes: r.bytes, failure_reason: r.failure_reason,
          score: pageScore({ status: r.status, failureReason: r.failure_reason, findings }),
          critical: count('critical'), warning: count('warning'), notice: count('notice'),
          issues: [...new Set(findings.map((f) => f.code))].sort().join(' '),
        };
      }
    }
    return;
  }
  if (type === 'issues') {
    for await (const rows of pages.pagesWithFindingsBatches(db, runId)) {
      for (const r of rows) for (const f of r.issues) yield issueRow(r.url, f.code, f.severity, 'page', f.detail);
    }
    for await (const issues of siteIssueBatches(db, runId)) {
      for (const s of issues) for (const url of s.pages) yield issueRow(url, s.code, s.severity, 'site', s.detail);
    }
    return;
  }
  // Links page by page (keyset on page_audits.id), each page's outlinks by (run_id, from_hash): page_links.id is not
  // part of its contract (it may be dropped for write speed).
  for await (const batch of pages.pageHashBatches(db, runId, 100)) {
    const links = await outlinksOfPages(db, runId, batch.map((p) => p.url_hash));
    const byFrom = new Map<string, typeof links>();
    for (const l of links) {
      const list = byFrom.get(l.from_hash);
      if (list) list.push(l);
      else byFrom.set(l.from_hash, [l]);
    }
    for (const p of batch) {
      for (const r of (byFrom.get(p.url_hash) ?? []).sort((a, b) => (a.to_url < b.to_url ? -1 : a.to_url > b.to_url ? 1 : 0))) {
        yield { from_url: p.url, to_url: r.to_url, anchor_text: r.anchor_text, nofollow: r.nofollow, to_status_code: r.to_status_code };
      }
    }
  }
}

function issueRow(url: string, code: string, severity: string, scope: 'page' | 'site', detail: string | undefined): Record<string, unknown> {
  // Stored findings: a code from an older version may no longer be in the catalogue; the row then names it by its code.
  const c = findCheck(code);
  return { url, code, severity, category: c?.category ?? '', scope, title: c?.title ?? code, detail: detail ?? '' };
}

/** RFC 4180: quote a field holding a comma, quote, CR or LF (or edge spaces); double inner quotes. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Text comes from the audited sites (titles, anchors, URLs): a cell that starts like a formula would run as one when
  // the export is opened in a spreadsheet (CSV injection), so it gets a leading apostrophe (OWASP's rule). Numbers are
  // written as numbers.
  if (typeof v !== 'number' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (out.destroyed) throw new Error('export stream closed');
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * Streams one export to `out` (an HTTP response or a file); returns the number of data rows written. The summary
 * argument is no longer read (site findings come from site_issues); it stays for the CLI's call.
 */
export async function writeExport(db: Db, runId: string, type: ExportType, format: 'csv' | 'json', _summary: RunSummary | null, out: Writable): Promise<number> {
  const columns = exportColumns(type);
  let n = 0;
  let buf = format === 'csv' ? `${columns.join(',')}\r\n` : '[';
  for await (const row of exportRows(db, runId, type)) {
    buf += format === 'csv'
      ? `${columns.map((c) => csvField(row[c])).join(',')}\r\n`
      : `${n === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
    n++;
    if (buf.length > 64 * 1024) {
      await write(out, buf);
      buf = '';
    }
  }
  buf += format === 'json' ? (n === 0 ? ']\n' : '\n]\n') : '';
  if (buf) await write(out, buf);
  return n;
}

/** The run's report (what GET /api/runs/:id/report answers): health score, findings by category and severity. */
export async function buildRunReport(db: Db, config: Config, run: RunRow) {
  const summary = run.summary as RunSummary | null;
  // Counts: the summary's (page and site findings) once completed; the rows' page findings while running.
  let counts: Record<string, number> = summary?.issuesByCode ?? {};
  if (!summary) {
    const rows = await pages.findingCodeCounts(db, run.id);
    counts = Object.fromEntries(rows.map((r) => [r.code, r.count]));
  }
  const checks: CheckCount[] = CHECKS.filter((c) => counts[c.code]).map((c) => ({
    ...c,
    count: counts[c.code],
    affectedPagesUrl: `/api/runs/${run.id}/report?code=${c.code}`,
  }));
  const categories = [...new Set(checks.map((c) => c.category))].map((category) => {
    const inCat = checks.filter((c) => c.category === category);
    return {
      category,
      counts: Object.fromEntries(SEVERITIES.map((s) => [s, inCat.filter((c) => c.severity === s).reduce((a, c) => a + c.count, 0)])),
      checks: inCat.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || b.count - a.count),
    };
  });
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, checks.filter((c) => c.severity === s).reduce((a, c) => a + c.count, 0)]));

  // Health: every page of the run, with its page findings and the site findings that list it, scored as the pages
  // stream by: nothing is kept per page (a 100k-page run's report must not hold its pages).
  const siteByUrl = await siteFindingsByUrl(db, run.id);
  let scoreSum = 0;
  let scoredPages = 0;
  let pagesWithCritical = 0;
  for await (const rows of pages.scoringPageBatches(db, run.id)) {
    for (const r of rows) {
      const p: ScoredPage = { status: r.status, failureReason: r.failure_reason, findings: [...r.issues, ...(siteByUrl.get(r.url) ?? [])] };
      scoreSum += pageScore(p);
      scoredPages++;
      if (hasCriticalFinding(p)) pagesWithCritical++;
    }
  }
  const health = siteHealth(scoredPages, pagesWithCritical);
  return {
    runId: run.id,
    workflowId: run.workflow_id,
    siteUrl: run.site_url,
    status: run.status,
    healthScore: health.score,
    pages: health.pages,
    pagesWithCritical: health.pagesWithCritical,
    averagePageScore: health.pages === 0 ? 100 : Math.round((scoreSum / health.pages) * 10) / 10,
    scoring: {
      health: 'share of pages with no critical finding (page or site level) and no audit failure (robots.txt-disallowed and non-HTML URLs are deliberate skips, not failures), × 100',
      page: `100 − per distinct finding code: critical ${SEVERITY_PENALTY.critical}, warning ${SEVERITY_PENALTY.warning}, notice ${SEVERITY_PENALTY.notice}; floor 0; a page that could not be audited 0 (a deliberate skip: 100 − its findings)`,
    },
    bySeverity,
    categories,
    issues: checks,
    summary,
    webUiUrl: webUiUrl(config, run.workflow_id),
  };
}
export type RunReport = Awaited<ReturnType<typeof buildRunReport>>;

/** The self-contained HTML report of a run (GET /api/runs/:id/report.html, `sitesweep audit --output html`). */
export async function buildHtmlReport(db: Db, config: Config, run: RunRow, report?: RunReport): Promise<string> {
  const rep = report ?? (await buildRunReport(db, config, run));
  const affected: HtmlReportInput['affected'] = {};
  for (const check of rep.issues) {
    const a = await affectedPages(db, run, check.code, 20, undefined);
    affected[check.code] = { count: a.count, items: a.items };
  }
  const s = rep.summary;
  let statusCodes = s?.statusCodes ?? {};
  let failureReasons = s?.topFailReasons ?? [];
  if (!s) {
    const codes = await pages.statusCodeCounts(db, run.id);
    statusCodes = Object.fromEntries(codes.map((c) => [c.code, c.n]));
    failureReasons = await pages.topFailureReasons(db, run.id);
  }
  return renderHtmlReport({
    runId: rep.runId, siteUrl: rep.siteUrl, status: rep.status, healthScore: rep.healthScore, averagePageScore: rep.averagePageScore,
    pages: rep.pages, pagesWithCritical: rep.pagesWithCritical, bySeverity: rep.bySeverity, issues: rep.issues, affected,
    statusCodes, failureReasons, pagesAudited: s?.pagesAudited ?? rep.pages, pagesFailed: s?.pagesFailed ?? 0, durationMs: s?.durationMs ?? null,
    generatedAt: new Date().toISOString(), webUiUrl: rep.webUiUrl,
  });
}

interface CheckCount extends CheckDefinition {
  count: number;
  affectedPagesUrl: string;
}

export function createReportsRouter(deps: { db: DataSource; config: Config }): express.Router {
  const { db, config } = deps;
  const router = express.Router();
  const runParam = (req: express.Request) => parseOr400(runIdParamSchema, req.params).id;

  router.get('/api/runs/:id/report', async (req, res) => {
    const run = await findRunRow(db, runParam(req));
    const q = parseOr400(reportQuerySchema, req.query);
    if (q.code) {
      res.json(await affectedPages(db, run, q.code, q.limit, q.cursor));
      return;
    }
    res.json(await buildRunReport(db, config, run));
  });

  router.get('/api/runs/:id/report.html', async (req, res) => {
    const run = await findRunRow(db, runParam(req));
    const html = await buildHtmlReport(db, config, run);
    res.status(200);
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Disposition', `inline; filename="sitesweep-${run.id}-report.html"`);
    // The report is static: no script may run in it, even if a page title carried markup.
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    res.setHeader('Cache-Control', 'no-store');
    res.send(html);
  });

  router.get('/api/runs/:id/export', async (req, res) => {
    const run = await findRunRow(db, runParam(req));
    const q = parseOr400(exportQuerySchema, req.query);
    const filename = `sitesweep-${run.id}-${q.type}.${q.format}`;
    res.status(200);
    res.setHeader('Content-Type', q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    res.setHeader('Cache-Control', 'no-store');
    try {
      await writeExport(db, run.id, q.type, q.format, run.summary as RunSummary | null, res);
      res.end();
    } catch (err) {
      // Headers are gone already: all that is left is to cut the stream so the client sees it incomplete.
      res.destroy(err as Error);
    }
  });

  router.get('/api/runs/:id/compare', async (req, res) => {
    const run = await findRunRow(db, runParam(req));
    res.json(await compareRunView(db, run, parseOr400(compareQuerySchema, req.query)));
  });

  return router;
}

/** One check's affected pages: page findings by keyset on page_audits.id, site findings by position in site_issues. */
export async function affectedPages(db: Db, run: RunRow, code: string, limit: number, cursor: string | undefined) {
  const check = findCheck(code);
  if (!check) throw notFound(`check ${code}`);
  if (check.scope === 'page') {
    const rows = await pages.pagesWithCode(db, run.id, code, cursor ?? '0', limit + 1);
    const n = await pages.countPagesWithCode(db, run.id, code);
    return {
      check,
      count: n,
      items: rows.slice(0, limit).map((r) => ({ url: r.url, detail: r.issues.find((i) => i.code === code)?.detail ?? null })),
      nextCursor: rows.length > limit ? String(rows[limit - 1].id) : null,
    };
  }
  const offset = Number(cursor ?? 0);
  const { count, items } = await siteIssueItems(db, run.id, code, offset, limit);
  return {
    check,
    count,
    items,
    nextCursor: offset + limit < count ? String(offset + limit) : null,
  };
}

/** GET /api/runs/:id/compare and `sitesweep compare`: new / fixed / persisting findings against another run. */
export async function compareRunView(db: DataSource, run: RunRow, q: z.infer<typeof compareQuerySchema>) {
  let baseId: string;
  if (q.with === 'previous') {
    const prev = await previousRunId(db, run.id);
    if (!prev) throw new HttpError(404, 'not_found', `run ${run.id} has no previous completed run of ${run.site_host}`);
    baseId = prev;
  } else {
    baseId = (await findRunRow(db, q.with)).id as string;
    if (baseId === run.id) throw new HttpError(400, 'invalid_request', 'with: must be another run');
  }
  const c = await compareRuns(db, run.id, baseId);
  const cap = <T>(list: T[]) => list.slice(0, q.limit);
  // A run that did not complete audited part of the site: what it did not reach reads as removed pages and fixed
  // findings. The comparison says so rather than let those numbers pass for a change of the site.
  const base = await findRunRow(db, baseId);
  const partial = [run, base].filter((r) => r.status !== 'completed').map((r) => `run ${r.id} is ${r.status}`);
  return {
    runId: run.id,
    withRunId: baseId,
    note: partial.length ? `${partial.join(' and ')}: pages it did not reach count as removed (or added) and their findings as fixed (or new)` : null,
    counts: {
      new: c.newFindings.length, fixed: c.fixedFindings.length, persisting: c.persistingFindings.length,
      pagesAdded: c.pagesAdded.length, pagesRemoved: c.pagesRemoved.length,
    },
    newFindings: cap(c.newFindings),
    fixedFindings: cap(c.fixedFindings),
    persistingFindings: cap(c.persistingFindings),
    pagesAdded: cap(c.pagesAdded),
    pagesRemoved: cap(c.pagesRemoved),
    truncated: [c.newFindings, c.fixedFindings, c.persistingFindings, c.pagesAdded, c.pagesRemoved].some((l) => l.length > q.limit),
  };
}
