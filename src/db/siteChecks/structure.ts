// Site structure: orphan pages (in a sitemap, linked from nowhere) and deep pages (many clicks from the start URL).
import { pageList, type Db, type SiteCheck, type SiteQuery } from './types';

/** Deep pages: this many clicks or more from the start URL. */
export const DEEP_PAGE_CLICKS = 4;

const ORPHAN_SQL = `
  SELECT f.url FROM frontier f
    JOIN page_audits p ON p.run_id = f.run_id AND p.url_hash = f.url_hash
   WHERE f.run_id = $1 AND f.in_sitemap AND f.source <> 'seed'
     AND NOT EXISTS (SELECT 1 FROM page_links l WHERE l.run_id = $1 AND l.to_hash = f.url_hash AND l.from_hash <> f.url_hash)
   ORDER BY f.url`;

/** Orphans: in a sitemap, audited, and linked from no other page of the site. */
export const orphanPage: SiteCheck = {
  name: 'orphan_page',
  codes: ['orphan_page'],
  async run(db, runId) {
    const rows: Array<{ url: string }> = await db.query(ORPHAN_SQL, [runId]);
    return pageList('orphan_page', rows.map((o) => o.url));
  },
};

/**
 * Bottom-up pays once the level is more than this fraction of what is left unreached (Beamer et al.'s direction switch,
 * alpha 14): bottom-up stops at each unreached page's first in-link from the level, top-down reads every out-link of
 * every page in the level. On a 100k-page run the widest level (44,815 pages, 53,456 left) took 1.3 s top-down, reading
 * 2M links, and 0.58 s bottom-up.
 */
const BOTTOM_UP_ALPHA = 14;

/**
 * Click depth of every page from the seed over the link graph, breadth first, one query per level, each level read in
 * the cheaper direction (a direction-optimizing BFS): top-down reads the out-links of the level's pages by the
 * (run_id, from_hash) index; once the level is large against what is left unreached (BOTTOM_UP_ALPHA), bottom-up probes
 * the in-links of each unreached page by the (run_id, to_hash) index and stops at its first link from the level. A page
 * still unreached has no link from an earlier level (it would have been reached then), so "linked from the level" is
 * the whole test. Only pages (page_audits rows) have links: the other URLs a level reaches end no path, so bottom-up
 * leaves them out. `bottomUp: false` forces top-down (tests).
 */
export async function clickDepths(db: Db, runId: string, opts: { bottomUp?: boolean } = {}): Promise<Map<string, number>> {
  const bottomUp = opts.bottomUp !== false;
  const seeds: Array<{ url_hash: string }> = await db.query(`SELECT url_hash FROM frontier WHERE run_id = $1 AND source = 'seed'`, [runId]);
  const depth = new Map<string, number>(seeds.map((s) => [s.url_hash, 0]));
  const pages: Array<{ url_hash: string }> = bottomUp ? await db.query(`SELECT url_hash FROM page_audits WHERE run_id = $1`, [runId]) : [];
  const unreached = new Set(pages.map((p) => p.url_hash));
  for (const s of seeds) unreached.delete(s.url_hash);
  let level = seeds.map((s) => s.url_hash);
  for (let d = 1; level.length > 0 && d <= 1_000; d++) {
    if (bottomUp && unreached.size === 0) break;
    // LATERAL … LIMIT 1: the planner would otherwise read every in-link (or turn it back into the top-down join).
    const next: Array<{ to_hash: string }> = bottomUp && level.length * BOTTOM_UP_ALPHA > unreached.size
      ? await db.query(
        `SELECT u.h AS to_hash FROM unnest($2::text[]) AS u(h)
           CROSS JOIN LATERAL (SELECT 1 FROM page_links l WHERE l.run_id = $1 AND l.to_hash = u.h AND l.from_hash = ANY($3::text[]) LIMIT 1) hit`,
        [runId, [...unreached], level],
      )
      : await db.query(
        `SELECT DISTINCT to_hash FROM page_links WHERE run_id = $1 AND from_hash = ANY($2)`,
        [runId, level],
      );
    level = [];
    for (const { to_hash } of next) {
      if (depth.has(to_hash)) continue;
      depth.set(to_hash, d);
      unreached.delete(to_hash);
      level.push(to_hash);
    }
  }
  return depth;
}

/** Deep pages: 200 pages reachable from the seed in DEEP_PAGE_CLICKS clicks or more. */
export const deepPage: SiteCheck = {
  name: 'deep_page',
  codes: ['deep_page'],
  async run(db, runId) {
    const depths = await clickDepths(db, runId);
    const deepHashes = [...depths].filter(([, d]) => d >= DEEP_PAGE_CLICKS).map(([h]) => h);
    if (deepHashes.length === 0) return [];
    const deep: Array<{ url: string; url_hash: string }> = await db.query(
      `SELECT url, url_hash FROM page_audits WHERE run_id = $1 AND status = 'ok' AND status_code = 200 AND url_hash = ANY($2) ORDER BY url`,
      [runId, deepHashes],
    );
    if (deep.length === 0) return [];
    let min = Infinity;
    let max = -Infinity;
    for (const p of deep) {
      const d = depths.get(p.url_hash)!;
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    return pageList('deep_page', deep.map((p) => p.url), { detail: `${min}${max > min ? `–${max}` : ''} clicks from the start URL` });
  },
};

export const STRUCTURE_QUERIES: SiteQuery[] = [{ name: 'orphan_page', sql: ORPHAN_SQL }];
