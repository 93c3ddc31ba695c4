// Site-level findings: set queries over one run's rows, run once after the crawl (the summarizing stage).
// Each finding lists the affected pages and, for link findings, the source pages with their anchor texts.
import { CHECKS_BY_CODE } from '../audit/catalogue';
import { parseRobots } from '../audit/robots';
import { simhashSimilarity } from '../audit/text';
import type { SiteIssue } from '../workflows/contracts';

type Db = { query: (sql: string, params?: unknown[]) => Promise<any> };

const MAX_PAGES_PER_ISSUE = 100;
/** Near duplicates: at least this share of equal SimHash bits (≥ 58 of 64). */
export const NEAR_DUPLICATE_SIMILARITY = 0.9;
/** Deep pages: this many clicks or more from the start URL. */
export const DEEP_PAGE_CLICKS = 4;
/** Pairwise near-duplicate search is bounded to this many pages (banding keeps it near linear below that). */
const MAX_NEAR_DUPLICATE_PAGES = 50_000;
/** Failures that say nothing about the target being broken. */
const NOT_BROKEN_REASONS = ['robots_disallowed', 'not_html'];

function severity(code: string): SiteIssue['severity'] {
  return CHECKS_BY_CODE[code]?.severity ?? 'warning';
}

type Source = { from: string; text: string };

/** One finding listing several pages (orphans, deep pages, sitemap problems…); none when `pages` is empty. */
function pageList(code: string, pages: string[], extra: Partial<SiteIssue> = {}): SiteIssue[] {
  if (pages.length === 0) return [];
  return [{ code, severity: severity(code), pages: pages.slice(0, MAX_PAGES_PER_ISSUE), count: pages.length, ...extra }];
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

/** Internal links whose target matches `targetCondition` (SQL over `t`), one finding per target with its sources. */
async function linkTargets(
  db: Db,
  runId: string,
  code: string,
  targetCondition: string,
  detail: (t: { status_code: number | null; failure_reason: string | null; final_url: string | null }) => string | undefined,
  linkCondition = 'true',
): Promise<SiteIssue[]> {
  const rows: Array<{ target: string; status_code: number | null; failure_reason: string | null; final_url: string | null; sources: Source[] }> = await db.query(
    `SELECT t.url AS target, t.status_code, t.failure_reason, t.final_url,
            json_agg(json_build_object('from', s.url, 'text', l.anchor_text) ORDER BY s.url) AS sources
       FROM page_links l
       JOIN page_audits t ON t.run_id = l.run_id AND t.url_hash = l.to_hash
       JOIN page_audits s ON s.run_id = l.run_id AND s.url_hash = l.from_hash
      WHERE l.run_id = $1 AND l.from_hash <> l.to_hash AND (${targetCondition}) AND (${linkCondition})
      GROUP BY t.url, t.status_code, t.failure_reason, t.final_url
      ORDER BY t.url`,
    [runId],
  );
  return rows.map((b) => ({
    code,
    severity: severity(code),
    pages: [b.target],
    count: 1,
    ...(detail(b) !== undefined ? { detail: detail(b) } : {}),
    sources: b.sources.slice(0, MAX_PAGES_PER_ISSUE).map((s) => ({ from: s.from, to: b.target, text: s.text })),
  }));
}

/** Click depth from the seed over the link graph, breadth first, one query per level. */
async function clickDepths(db: Db, runId: string): Promise<Map<string, number>> {
  const seeds: Array<{ url_hash: string }> = await db.query(`SELECT url_hash FROM frontier WHERE run_id = $1 AND source = 'seed'`, [runId]);
  const depth = new Map<string, number>(seeds.map((s) => [s.url_hash, 0]));
  let level = seeds.map((s) => s.url_hash);
  for (let d = 1; level.length > 0 && d <= 1_000; d++) {
    const next: Array<{ to_hash: string }> = await db.query(
      `SELECT DISTINCT to_hash FROM page_links WHERE run_id = $1 AND from_hash = ANY($2)`,
      [runId, level],
    );
    level = [];
    for (const { to_hash } of next) {
      if (depth.has(to_hash)) continue;
      depth.set(to_hash, d);
      level.push(to_hash);
    }
  }
  return depth;
}

/**
 * Clusters of indexable pages whose SimHashes agree on ≥ 90% of bits (and whose text is not identical: that is
 * duplicate_content). Candidates come from 7 bands of the 64 bits: two hashes at most 6 bits apart agree on at least
 * one whole band (pigeonhole), so banding loses no pair at this threshold, and each candidate is confirmed with
 * simhashSimilarity.
 */
export function nearDuplicateClusters(
  pages: ReadonlyArray<{ url: string; simhash: string; contentHash: string | null }>,
  threshold = NEAR_DUPLICATE_SIMILARITY,
): Array<{ urls: string[]; minSimilarity: number }> {
  const bands = [[0, 9], [9, 18], [18, 27], [27, 36], [36, 45], [45, 54], [54, 64]];
  const bits = pages.map((p) => BigInt(`0x${p.simhash}`).toString(2).padStart(64, '0'));
  const parent = pages.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const minSim = new Map<number, number>();
  const checked = new Set<string>();
  const pairSims: Array<[number, number, number]> = [];
  for (const [lo, hi] of bands) {
    const buckets = new Map<string, number[]>();
    bits.forEach((b, i) => {
      const key = b.slice(lo, hi);
      const list = buckets.get(key);
      if (list) list.push(i);
      else buckets.set(key, [i]);
    });
    for (const list of buckets.values()) {
      for (let x = 0; x < list.length; x++) {
        for (let y = x + 1; y < list.length; y++) {
          const [i, j] = [list[x], list[y]];
          const key = `${i}:${j}`;
          if (checked.has(key)) continue;
          checked.add(key);
          if (pages[i].contentHash !== null && pages[i].contentHash === pages[j].contentHash) continue;
          const sim = simhashSimilarity(pages[i].simhash, pages[j].simhash);
          if (sim >= threshold) pairSims.push([i, j, sim]);
        }
      }
    }
  }
  for (const [i, j] of pairSims) parent[find(i)] = find(j);
  for (const [i, , sim] of pairSims) {
    const root = find(i);
    minSim.set(root, Math.min(minSim.get(root) ?? 1, sim));
  }
  const groups = new Map<number, Set<string>>();
  for (const [a, b] of pairSims) {
    for (const i of [a, b]) {
      const root = find(i);
      const g = groups.get(root) ?? new Set<string>();
      g.add(pages[i].url);
      groups.set(root, g);
    }
  }
  return [...groups.entries()]
    .map(([root, urls]) => ({ urls: [...urls].sort(), minSimilarity: minSim.get(root) ?? 1 }))
    .sort((a, b) => a.urls[0].localeCompare(b.urls[0]));
}

export async function computeSiteIssues(db: Db, runId: string): Promise<SiteIssue[]> {
  const out: SiteIssue[] = [];
  out.push(...(await duplicates(db, runId, 'duplicate_title', 'title')));
  out.push(...(await duplicates(db, runId, 'duplicate_description', 'description')));
  out.push(...(await duplicates(db, runId, 'duplicate_h1', 'h1')));

  // Exact duplicates: the same main-text hash on several indexable 200 pages.
  const dupContent: Array<{ urls: string[]; words: number }> = await db.query(
    `SELECT array_agg(url ORDER BY url) AS urls, min(word_count)::int AS words FROM page_audits
      WHERE run_id = $1 AND status = 'ok' AND status_code = 200 AND indexable AND content_hash IS NOT NULL
      GROUP BY content_hash HAVING count(*) > 1 ORDER BY min(url)`,
    [runId],
  );
  for (const d of dupContent) out.push(...pageList('duplicate_content', d.urls, { detail: `identical main text (${d.words} words)` }));

  const sims: Array<{ url: string; simhash: string; content_hash: string | null }> = await db.query(
    `SELECT url, simhash, content_hash FROM page_audits
      WHERE run_id = $1 AND status = 'ok' AND status_code = 200 AND indexable AND simhash ~ '^[0-9a-f]{16}$'
      ORDER BY url LIMIT $2`,
    [runId, MAX_NEAR_DUPLICATE_PAGES],
  );
  for (const c of nearDuplicateClusters(sims.map((s) => ({ url: s.url, simhash: s.simhash, contentHash: s.content_hash })))) {
    out.push(...pageList('near_duplicate', c.urls, { detail: `≥ ${Math.floor(c.minSimilarity * 100)}% similar` }));
  }

  // Broken internal links: link targets that answered 4xx/5xx or could not be fetched, with their source pages.
  out.push(...(await linkTargets(
    db, runId, 'broken_internal_link',
    `t.status_code >= 400 OR (t.status = 'failed' AND t.failure_reason NOT IN ('robots_disallowed', 'not_html'))`,
    (t) => (t.status_code ? `HTTP ${t.status_code}` : (t.failure_reason ?? 'failed')),
  )));
  // Links to redirects; the crawler's own redirect → target edges (from a 3xx page) are not links anyone wrote.
  out.push(...(await linkTargets(
    db, runId, 'internal_link_to_redirect',
    `t.status_code BETWEEN 300 AND 399`,
    (t) => `HTTP ${t.status_code}${t.final_url && t.final_url !== '' ? ` → ${t.final_url}` : ''}`,
    `coalesce(s.status_code, 0) NOT BETWEEN 300 AND 399`,
  )));
  out.push(...(await linkTargets(
    db, runId, 'nofollow_to_indexable',
    `t.status = 'ok' AND t.status_code = 200 AND t.indexable`,
    () => undefined,
    `l.nofollow`,
  )));

  // Orphans: in a sitemap, audited, and linked from no other page of the site.
  const orphans: Array<{ url: string }> = await db.query(
    `SELECT f.url FROM frontier f
       JOIN page_audits p ON p.run_id = f.run_id AND p.url_hash = f.url_hash
      WHERE f.run_id = $1 AND f.in_sitemap AND f.source <> 'seed'
        AND NOT EXISTS (SELECT 1 FROM page_links l WHERE l.run_id = f.run_id AND l.to_hash = f.url_hash AND l.from_hash <> f.url_hash)
      ORDER BY f.url`,
    [runId],
  );
  out.push(...pageList('orphan_page', orphans.map((o) => o.url)));

  // Deep pages: 200 pages reachable from the seed in DEEP_PAGE_CLICKS clicks or more.
  const depths = await clickDepths(db, runId);
  const deepHashes = [...depths].filter(([, d]) => d >= DEEP_PAGE_CLICKS).map(([h]) => h);
  if (deepHashes.length > 0) {
    const deep: Array<{ url: string; url_hash: string }> = await db.query(
      `SELECT url, url_hash FROM page_audits WHERE run_id = $1 AND status = 'ok' AND status_code = 200 AND url_hash = ANY($2) ORDER BY url`,
      [runId, deepHashes],
    );
    const ds = deep.map((p) => depths.get(p.url_hash)!);
    out.push(...pageList('deep_page', deep.map((p) => p.url), { detail: `${Math.min(...ds)}${Math.max(...ds) > Math.min(...ds) ? `–${Math.max(...ds)}` : ''} clicks from the start URL` }));
  }

  out.push(...(await canonicalIssues(db, runId)));
  out.push(...(await hreflangIssues(db, runId)));
  out.push(...(await sitemapIssues(db, runId)));
  out.push(...(await externalLinkIssues(db, runId)));
  return out;
}

async function canonicalIssues(db: Db, runId: string): Promise<SiteIssue[]> {
  const rows: Array<{ url: string; canonical: string; t_url: string; t_state: string; t_status: number | null; t_reason: string | null; t_noindex: boolean | null; t_canonical: string | null }> = await db.query(
    `SELECT p.url, p.canonical, t.url AS t_url, t.status AS t_state, t.status_code AS t_status, t.failure_reason AS t_reason,
            t.noindex AS t_noindex, t.canonical AS t_canonical
       FROM page_audits p
       JOIN page_audits t ON t.run_id = p.run_id AND t.url = p.canonical
      WHERE p.run_id = $1 AND p.status = 'ok' AND p.status_code = 200 AND p.canonical IS NOT NULL AND p.canonical <> p.url
      ORDER BY p.url`,
    [runId],
  );
  const by: Record<string, typeof rows> = { canonical_to_redirect: [], canonical_to_error: [], canonical_to_noindex: [], canonical_chain: [] };
  for (const r of rows) {
    if (r.t_status !== null && r.t_status >= 300 && r.t_status < 400) by.canonical_to_redirect.push(r);
    else if ((r.t_status !== null && r.t_status >= 400) || (r.t_state === 'failed' && !NOT_BROKEN_REASONS.includes(r.t_reason ?? ''))) by.canonical_to_error.push(r);
    else if (r.t_status === 200 && r.t_noindex) by.canonical_to_noindex.push(r);
    else if (r.t_status === 200 && r.t_canonical !== null && r.t_canonical !== r.t_url) by.canonical_chain.push(r);
  }
  return Object.entries(by).flatMap(([code, list]) =>
    pageList(code, list.map((r) => r.url), { sources: list.slice(0, MAX_PAGES_PER_ISSUE).map((r) => ({ from: r.url, to: r.canonical, text: '' })) }),
  );
}

async function hreflangIssues(db: Db, runId: string): Promise<SiteIssue[]> {
  // Alternates that were crawled (an alternate the crawl never reached cannot be judged).
  const rows: Array<{ url: string; lang: string; href: string; t_state: string; t_status: number | null; t_noindex: boolean | null; t_canonical: string | null; t_url: string; returns: boolean }> = await db.query(
    `SELECT p.url, h->>'lang' AS lang, h->>'href' AS href, t.url AS t_url, t.status AS t_state, t.status_code AS t_status,
            t.noindex AS t_noindex, t.canonical AS t_canonical,
            EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(t.data->'hreflang', '[]'::jsonb)) b
                     WHERE b->>'href' IN (p.url, coalesce(p.canonical, p.url))) AS returns
       FROM page_audits p
      CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.data->'hreflang') = 'array' THEN p.data->'hreflang' ELSE '[]'::jsonb END) h
       JOIN page_audits t ON t.run_id = p.run_id AND t.url = h->>'href'
      WHERE p.run_id = $1 AND p.status = 'ok' AND p.status_code = 200 AND h->>'href' <> p.url
      ORDER BY p.url, h->>'href', h->>'lang'`,
    [runId],
  );
  const bad: typeof rows = [];
  const noReturn: typeof rows = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const key = `${r.url} ${r.href}`;
    if (seen.has(key)) continue; // x-default and a language pointing at the same URL are one alternate
    seen.add(key);
    const good = r.t_state === 'ok' && r.t_status === 200 && !r.t_noindex && (r.t_canonical === null || r.t_canonical === r.t_url);
    if (!good) bad.push(r);
    else if (!r.returns) noReturn.push(r);
  }
  const issue = (code: string, list: typeof rows) =>
    pageList(code, [...new Set(list.map((r) => r.url))], { sources: list.slice(0, MAX_PAGES_PER_ISSUE).map((r) => ({ from: r.url, to: r.href, text: r.lang })) });
  return [...issue('hreflang_no_return', noReturn), ...issue('hreflang_bad_target', bad)];
}

async function sitemapIssues(db: Db, runId: string): Promise<SiteIssue[]> {
  const [run]: Array<{ site_url: string; robots_txt: string | null; robots_status: number | null; options: { userAgent?: string; respectRobots?: boolean } | null }> =
    await db.query(`SELECT site_url, robots_txt, robots_status, options FROM audit_runs WHERE id = $1`, [runId]);
  if (!run) return [];
  const robotsUrl = new URL('/robots.txt', run.site_url).toString();
  const robots = parseRobots(robotsUrl, run.robots_txt, run.robots_status);
  const ua = run.options?.userAgent ?? 'Sitesweep';
  const out: SiteIssue[] = [];

  const listed: Array<{ url: string; state: string; status_code: number | null; failure_reason: string | null; noindex: boolean | null; canonical: string | null }> = await db.query(
    `SELECT f.url, p.status AS state, p.status_code, p.failure_reason, p.noindex, p.canonical
       FROM frontier f JOIN page_audits p ON p.run_id = f.run_id AND p.url_hash = f.url_hash
      WHERE f.run_id = $1 AND f.in_sitemap ORDER BY f.url`,
    [runId],
  );
  const blocked: string[] = [];
  const non200: string[] = [];
  const noindex: string[] = [];
  const nonCanonical: Array<{ from: string; to: string; text: string }> = [];
  for (const p of listed) {
    if (p.failure_reason === 'robots_disallowed' || (robots.found && !robots.isAllowed(p.url, ua))) {
      blocked.push(p.url);
      continue;
    }
    if ((p.status_code !== null && p.status_code !== 200) || (p.state === 'failed' && !NOT_BROKEN_REASONS.includes(p.failure_reason ?? ''))) {
      non200.push(p.url);
      continue;
    }
    if (p.status_code !== 200) continue;
    if (p.noindex) noindex.push(p.url);
    if (p.canonical !== null && p.canonical !== p.url) nonCanonical.push({ from: p.url, to: p.canonical, text: '' });
  }
  out.push(...pageList('sitemap_non_200', non200));
  out.push(...pageList('sitemap_noindex', noindex));
  out.push(...pageList('sitemap_blocked', blocked));
  out.push(...pageList('sitemap_non_canonical', nonCanonical.map((n) => n.from), { sources: nonCanonical.slice(0, MAX_PAGES_PER_ISSUE) }));

  // Indexable pages the crawl found that no sitemap lists; only meaningful when the site has a sitemap at all.
  const missing: Array<{ url: string }> = await db.query(
    `SELECT p.url FROM page_audits p
       LEFT JOIN frontier f ON f.run_id = p.run_id AND f.url_hash = p.url_hash
      WHERE p.run_id = $1 AND p.status = 'ok' AND p.status_code = 200 AND p.indexable AND NOT coalesce(f.in_sitemap, false)
        AND EXISTS (SELECT 1 FROM frontier s WHERE s.run_id = $1 AND s.in_sitemap)
      ORDER BY p.url`,
    [runId],
  );
  out.push(...pageList('not_in_sitemap', missing.map((m) => m.url)));

  if (robots.unreachable) {
    out.push(...pageList('robots_txt_unreachable', [robotsUrl], { detail: run.robots_status ? `HTTP ${run.robots_status}` : 'no response' }));
  }
  if (robots.invalidLineCount > 0) {
    const first = robots.invalidLines.slice(0, 3).map((l) => `line ${l.line}: ${l.text} (${l.reason})`).join('; ');
    out.push({
      code: 'robots_txt_invalid', severity: severity('robots_txt_invalid'), pages: [robotsUrl], count: 1,
      detail: `${robots.invalidLineCount} invalid ${robots.invalidLineCount === 1 ? 'line' : 'lines'}: ${first}`,
    });
  }
  return out;
}

/** From the per-run external_links cache filled by the checkExternalLinks activity (empty unless the option is on). */
async function externalLinkIssues(db: Db, runId: string): Promise<SiteIssue[]> {
  const rows: Array<{ url: string; status_code: number | null; failure_reason: string | null; final_url: string | null; hops: number; sources: Source[] }> = await db.query(
    `SELECT x.url, x.status_code, x.failure_reason, x.final_url, jsonb_array_length(x.redirect_chain) AS hops,
            json_agg(json_build_object('from', p.url, 'text', coalesce(e->>'text', '')) ORDER BY p.url) AS sources
       FROM external_links x
       JOIN page_audits p ON p.run_id = x.run_id
      CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.data->'external') = 'array' THEN p.data->'external' ELSE '[]'::jsonb END) e
      WHERE x.run_id = $1 AND e->>'url' = x.url
        AND (x.status_code IS NULL OR x.status_code >= 400 OR jsonb_array_length(x.redirect_chain) > 0)
      GROUP BY x.url, x.status_code, x.failure_reason, x.final_url, x.redirect_chain
      ORDER BY x.url`,
    [runId],
  );
  return rows.map((r) => {
    const broken = r.status_code === null || r.status_code >= 400;
    const code = broken ? 'external_link_broken' : 'external_link_redirect';
    return {
      code,
      severity: severity(code),
      pages: [r.url],
      count: 1,
      detail: broken ? (r.status_code ? `HTTP ${r.status_code}` : (r.failure_reason ?? 'failed')) : `redirects to ${r.final_url}`,
      sources: r.sources.slice(0, MAX_PAGES_PER_ISSUE).map((s) => ({ from: s.from, to: r.url, text: s.text })),
    };
  });
}

// ── comparing runs ──

export interface FindingRef {
  code: string;
  url: string;
  severity: string;
}

export interface RunComparison {
  baseRunId: string;
  newFindings: FindingRef[];
  fixedFindings: FindingRef[];
  persistingFindings: FindingRef[];
  pagesAdded: string[];
  pagesRemoved: string[];
}

/** The last completed run of the same site host that finished before `runId` started. */
export async function previousRunId(db: Db, runId: string): Promise<string | null> {
  const [row] = await db.query(
    `SELECT o.id FROM audit_runs r
       JOIN audit_runs o ON o.site_host = r.site_host AND o.id <> r.id AND o.status = 'completed'
                        AND coalesce(o.finished_at, o.updated_at) <= coalesce(r.started_at, r.created_at)
      WHERE r.id = $1
      ORDER BY coalesce(o.finished_at, o.updated_at) DESC LIMIT 1`,
    [runId],
  );
  return row?.id ?? null;
}

/** Every (code, page) finding of a run: per-page findings from the rows, site findings from the summary (or given). */
export async function runFindings(db: Db, runId: string, siteIssues?: SiteIssue[]): Promise<Map<string, FindingRef>> {
  const out = new Map<string, FindingRef>();
  const rows: Array<{ url: string; code: string; severity: string }> = await db.query(
    `SELECT p.url, i->>'code' AS code, i->>'severity' AS severity
       FROM page_audits p CROSS JOIN LATERAL jsonb_array_elements(p.issues) i WHERE p.run_id = $1`,
    [runId],
  );
  for (const r of rows) out.set(`${r.code}\t${r.url}`, r);
  let site = siteIssues;
  if (!site) {
    const [run] = await db.query(`SELECT summary FROM audit_runs WHERE id = $1`, [runId]);
    site = (run?.summary?.siteIssues as SiteIssue[] | undefined) ?? [];
  }
  for (const s of site) for (const url of s.pages) out.set(`${s.code}\t${url}`, { code: s.code, url, severity: s.severity });
  return out;
}

/** New, fixed and persisting findings of `runId` against `baseRunId`, and pages added or removed. */
export async function compareRuns(db: Db, runId: string, baseRunId: string, currentSiteIssues?: SiteIssue[]): Promise<RunComparison> {
  const [cur, base] = await Promise.all([runFindings(db, runId, currentSiteIssues), runFindings(db, baseRunId)]);
  const pages = async (id: string) => new Set<string>((await db.query(`SELECT url FROM page_audits WHERE run_id = $1`, [id])).map((r: { url: string }) => r.url));
  const [curPages, basePages] = await Promise.all([pages(runId), pages(baseRunId)]);
  const order = (a: FindingRef, b: FindingRef) => a.code.localeCompare(b.code) || a.url.localeCompare(b.url);
  return {
    baseRunId,
    newFindings: [...cur].filter(([k]) => !base.has(k)).map(([, v]) => v).sort(order),
    fixedFindings: [...base].filter(([k]) => !cur.has(k)).map(([, v]) => v).sort(order),
    persistingFindings: [...cur].filter(([k]) => base.has(k)).map(([, v]) => v).sort(order),
    pagesAdded: [...curPages].filter((u) => !basePages.has(u)).sort(),
    pagesRemoved: [...basePages].filter((u) => !curPages.has(u)).sort(),
  };
}
