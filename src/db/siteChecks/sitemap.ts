// Sitemaps and robots.txt: listed URLs that are blocked, not 200, noindex or not canonical; indexable pages missing from
// the sitemaps; robots.txt unreachable or with invalid lines.
import { parseRobots, type RobotsRules } from '../../audit/robots';
import type { SiteIssue } from '../../audit/records';
import { isDeliberateFailure } from '../../audit/records';
import { pageList, severity, type Db, type SiteCheck, type SiteQuery } from './types';

type RunRobots = { robotsUrl: string; robots: RobotsRules; robotsStatus: number | null; userAgent: string };

async function runRobots(db: Db, runId: string): Promise<RunRobots | null> {
  const [run]: Array<{ site_url: string; robots_txt: string | null; robots_status: number | null; options: { userAgent?: string } | null }> =
    await db.query(`SELECT site_url, robots_txt, robots_status, options FROM audit_runs WHERE id = $1`, [runId]);
  if (!run) return null;
  const robotsUrl = new URL('/robots.txt', run.site_url).toString();
  return { robotsUrl, robots: parseRobots(robotsUrl, run.robots_txt, run.robots_status), robotsStatus: run.robots_status, userAgent: run.options?.userAgent ?? 'Sitesweep' };
}

const LISTED_SQL = `
  SELECT f.url, p.status AS state, p.status_code, p.failure_reason, p.noindex, p.canonical
    FROM frontier f JOIN page_audits p ON p.run_id = f.run_id AND p.url_hash = f.url_hash
   WHERE f.run_id = $1 AND p.run_id = $1 AND f.in_sitemap ORDER BY f.url`;

/** URLs the sitemaps list that should not be there. */
export const sitemapEntries: SiteCheck = {
  name: 'sitemap_entries',
  codes: ['sitemap_non_200', 'sitemap_noindex', 'sitemap_blocked', 'sitemap_non_canonical'],
  async run(db, runId) {
    const run = await runRobots(db, runId);
    if (!run) return [];
    const listed: Array<{ url: string; state: string; status_code: number | null; failure_reason: string | null; noindex: boolean | null; canonical: string | null }> =
      await db.query(LISTED_SQL, [runId]);
    const blocked: string[] = [];
    const non200: string[] = [];
    const noindex: string[] = [];
    const nonCanonical: Array<{ from: string; to: string; text: string }> = [];
    for (const p of listed) {
      if (p.failure_reason === 'robots_disallowed' || (run.robots.found && !run.robots.isAllowed(p.url, run.userAgent))) {
        blocked.push(p.url);
        continue;
      }
      if ((p.status_code !== null && p.status_code !== 200) || (p.state === 'failed' && !isDeliberateFailure(p.failure_reason))) {
        non200.push(p.url);
        continue;
      }
      if (p.status_code !== 200) continue;
      if (p.noindex) noindex.push(p.url);
      if (p.canonical !== null && p.canonical !== p.url) nonCanonical.push({ from: p.url, to: p.canonical, text: '' });
    }
    return [
      ...pageList('sitemap_non_200', non200),
      ...pageList('sitemap_noindex', noindex),
      ...pageList('sitemap_blocked', blocked),
      ...pageList('sitemap_non_canonical', nonCanonical.map((n) => n.from), { sources: nonCanonical }),
    ];
  },
};

const NOT_IN_SITEMAP_SQL = `
  SELECT p.url FROM page_audits p
    LEFT JOIN frontier f ON f.run_id = p.run_id AND f.url_hash = p.url_hash
   WHERE p.run_id = $1 AND p.status = 'ok' AND p.status_code = 200 AND p.indexable AND NOT coalesce(f.in_sitemap, false)
     AND EXISTS (SELECT 1 FROM frontier s WHERE s.run_id = $1 AND s.in_sitemap)
   ORDER BY p.url`;

/** Indexable pages the crawl found that no sitemap lists; only meaningful when the site has a sitemap at all. */
export const notInSitemap: SiteCheck = {
  name: 'not_in_sitemap',
  codes: ['not_in_sitemap'],
  async run(db, runId) {
    const rows: Array<{ url: string }> = await db.query(NOT_IN_SITEMAP_SQL, [runId]);
    return pageList('not_in_sitemap', rows.map((m) => m.url));
  },
};

/** robots.txt that answered 5xx or not at all, or that has lines a crawler cannot parse. */
export const robotsTxt: SiteCheck = {
  name: 'robots_txt',
  codes: ['robots_txt_unreachable', 'robots_txt_invalid'],
  async run(db, runId) {
    const run = await runRobots(db, runId);
    if (!run) return [];
    const { robots, robotsUrl } = run;
    const out: SiteIssue[] = [];
    if (robots.unreachable) {
      out.push(...pageList('robots_txt_unreachable', [robotsUrl], { detail: run.robotsStatus ? `HTTP ${run.robotsStatus}` : 'no response' }));
    }
    if (robots.invalidLineCount > 0) {
      const first = robots.invalidLines.slice(0, 3).map((l) => `line ${l.line}: ${l.text} (${l.reason})`).join('; ');
      out.push({
        code: 'robots_txt_invalid', severity: severity('robots_txt_invalid'), pages: [robotsUrl], count: 1,
        detail: `${robots.invalidLineCount} invalid ${robots.invalidLineCount === 1 ? 'line' : 'lines'}: ${first}`,
      });
    }
    return out;
  },
};

/** URLs that more than one sitemap lists (recorded by discovery); the sitemaps are the sources. */
export const sitemapMultiple: SiteCheck = {
  name: 'sitemap_multiple',
  codes: ['sitemap_multiple'],
  async run(db, runId) {
    const [run]: Array<{ sitemap_duplicates: Array<{ url: string; sitemaps: string[] }> | null }> =
      await db.query(`SELECT sitemap_duplicates FROM audit_runs WHERE id = $1`, [runId]);
    const list = [...(run?.sitemap_duplicates ?? [])].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
    return pageList('sitemap_multiple', list.map((d) => d.url), {
      sources: list.flatMap((d) => [...d.sitemaps].sort().map((sm) => ({ from: sm, to: d.url, text: '' }))),
    });
  },
};

export const SITEMAP_QUERIES: SiteQuery[] = [
  { name: 'sitemap_entries', sql: LISTED_SQL },
  { name: 'not_in_sitemap', sql: NOT_IN_SITEMAP_SQL },
];
