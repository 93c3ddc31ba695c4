// Site-level findings: set queries over one run's rows, run once after the crawl.
import { CHECKS_BY_CODE } from '../audit/catalogue';
import type { SiteIssue } from '../workflows/contracts';

type Db = { query: (sql: string, params?: unknown[]) => Promise<any> };

const MAX_PAGES_PER_ISSUE = 100;

function severity(code: string): SiteIssue['severity'] {
  return CHECKS_BY_CODE[code]?.severity ?? 'warning';
}

/** Groups of indexable 200 pages sharing a value (per language). */
async function duplicates(db: Db, runId: string, code: string, column: 'title' | 'description' | 'h1'): Promise<SiteIssue[]> {
  const rows: Array<{ value: string; urls: string[] }> = await db.query(
    `SELECT min(${column}) AS value, array_agg(url ORDER BY url) AS urls
       FROM page_audits
      WHERE run_id = $1 AND status = 'ok' AND status_code = 200 AND indexable AND coalesce(trim(${column}), '') <> ''
      GROUP BY lower(trim(${column})), coalesce(lower(split_part(lang, '-', 1)), '')
     HAVING count(*) > 1
      ORDER BY 1`,
    [runId],
  );
  return rows.map((r) => ({ code, severity: severity(code), pages: r.urls.slice(0, MAX_PAGES_PER_ISSUE), count: r.urls.length, detail: r.value }));
}

export async function computeSiteIssues(db: Db, runId: string): Promise<SiteIssue[]> {
  const out: SiteIssue[] = [];
  out.push(...(await duplicates(db, runId, 'duplicate_title', 'title')));
  out.push(...(await duplicates(db, runId, 'duplicate_description', 'description')));

  // Broken internal links: link targets that answered 4xx/5xx or could not be fetched, with their source pages.
  const broken: Array<{ target: string; status_code: number | null; failure_reason: string | null; sources: Array<{ from: string; text: string }> }> = await db.query(
    `SELECT t.url AS target, t.status_code, t.failure_reason,
            json_agg(json_build_object('from', s.url, 'text', l.anchor_text) ORDER BY s.url) AS sources
       FROM page_links l
       JOIN page_audits t ON t.run_id = l.run_id AND t.url_hash = l.to_hash
       JOIN page_audits s ON s.run_id = l.run_id AND s.url_hash = l.from_hash
      WHERE l.run_id = $1 AND l.from_hash <> l.to_hash
        AND (t.status_code >= 400 OR (t.status = 'failed' AND t.failure_reason NOT IN ('robots_disallowed', 'not_html')))
      GROUP BY t.url, t.status_code, t.failure_reason
      ORDER BY t.url`,
    [runId],
  );
  for (const b of broken) {
    out.push({
      code: 'broken_internal_link',
      severity: severity('broken_internal_link'),
      pages: [b.target],
      count: 1,
      detail: b.status_code ? `HTTP ${b.status_code}` : (b.failure_reason ?? 'failed'),
      sources: b.sources.slice(0, MAX_PAGES_PER_ISSUE).map((s) => ({ from: s.from, to: b.target, text: s.text })),
    });
  }

  // Orphans: in a sitemap, audited, and linked from no other page of the site.
  const orphans: Array<{ url: string }> = await db.query(
    `SELECT f.url FROM frontier f
       JOIN page_audits p ON p.run_id = f.run_id AND p.url_hash = f.url_hash
      WHERE f.run_id = $1 AND f.in_sitemap AND f.source <> 'seed'
        AND NOT EXISTS (SELECT 1 FROM page_links l WHERE l.run_id = f.run_id AND l.to_hash = f.url_hash AND l.from_hash <> f.url_hash)
      ORDER BY f.url`,
    [runId],
  );
  if (orphans.length > 0) {
    out.push({ code: 'orphan_page', severity: severity('orphan_page'), pages: orphans.slice(0, MAX_PAGES_PER_ISSUE).map((o) => o.url), count: orphans.length });
  }
  return out;
}
