// Site-level findings: a registry of small set queries over one run's rows, run once after the crawl (the summarizing
// stage), one check per finding kind (or per family sharing one query). Each finding lists the affected pages and, for
// link findings, the source pages with their anchor texts. Order here is the order of the findings in `site_issues`.
import pLimit from 'p-limit';
import type { SiteIssue } from '../../audit/records';
import { CANONICAL_QUERIES, canonicalTargets } from './canonical';
import { DUPLICATE_QUERIES, duplicateContent, duplicateDescription, duplicateH1, duplicateTitle, nearDuplicate } from './duplicates';
import { EXTERNAL_QUERIES, externalLinks } from './external';
import { HEADING_QUERIES, duplicateH2 } from './headings';
import { hreflangAlternates } from './hreflang';
import { IMAGE_QUERIES, imageTooLarge } from './images';
import { INLINK_QUERIES, canonicalUnlinked, followAndNofollowInlinks } from './inlinks';
import { LINK_QUERIES, brokenInternalLink, internalLinkToRedirect, nofollowToIndexable } from './links';
import { PAGINATION_QUERIES, paginationBroken } from './pagination';
import { SITEMAP_QUERIES, notInSitemap, robotsTxt, sitemapEntries, sitemapMultiple } from './sitemap';
import { STRUCTURE_QUERIES, deepPage, orphanPage } from './structure';
import type { Db, SiteCheck, SiteQuery } from './types';
import { SUMMARY_LIST_CAP, topCandidates } from '../../audit/summary';
import { deleteIssuesFromCheck, replaceCheckIssues, replaceCheckIssuesFromSelect, type TxDb } from '../repositories/siteIssues';

export type { Db, SiteCheck, SiteQuery } from './types';
export { DEEP_PAGE_CLICKS } from './structure';

export const SITE_CHECKS: SiteCheck[] = [
  duplicateTitle,
  duplicateDescription,
  duplicateH1,
  duplicateContent,
  nearDuplicate,
  brokenInternalLink,
  internalLinkToRedirect,
  nofollowToIndexable,
  orphanPage,
  deepPage,
  canonicalTargets,
  hreflangAlternates,
  sitemapEntries,
  notInSitemap,
  robotsTxt,
  externalLinks,
  // SEO depth, round two (issue 14)
  duplicateH2,
  paginationBroken,
  canonicalUnlinked,
  followAndNofollowInlinks,
  sitemapMultiple,
  imageTooLarge,
];

/** The joins over page_links / page_audits / frontier that fell into nested loops on stale statistics. */
export const HOT_SITE_QUERIES: SiteQuery[] = [...LINK_QUERIES, ...STRUCTURE_QUERIES, ...CANONICAL_QUERIES, ...SITEMAP_QUERIES, ...DUPLICATE_QUERIES, ...EXTERNAL_QUERIES,
  ...HEADING_QUERIES, ...PAGINATION_QUERIES, ...INLINK_QUERIES, ...IMAGE_QUERIES];

/**
 * Fresh planner statistics for the run's tables. A run's rows are new when it is summarized: before autovacuum has
 * analyzed them, PostgreSQL estimates one row for the run id and plans nested loops that take seconds per query at
 * 2k pages (50 ms with statistics). Only the columns the site queries filter and join on, and a small sample (the
 * plans need row counts per run, not fine histograms; default_statistics_target 100 reads 30,000 rows per table and
 * took 2 s of a 10k-page summarize): call it in a transaction so the SET LOCAL applies.
 */
export async function analyzeRunTables(db: Db): Promise<void> {
  await db.query(`SET LOCAL default_statistics_target = 20`);
  // An autovacuum of the same table (page_links is vacuumed again and again while a large run writes it) holds a lock
  // ANALYZE waits for until PostgreSQL's deadlock check cancels the autovacuum, deadlock_timeout (1 s) later: this
  // step took 1.9 s instead of 0.2 s in two of five 100k runs, and in a test with autovacuum busy on a 3M-row table
  // ANALYZE took 1.2 s at 1 s and 0.3 s at 50 ms. Only a superuser may shorten it (the embedded and compose
  // databases); elsewhere the setting is left as it is.
  await db.query(`SELECT set_config('deadlock_timeout', '50ms', true) FROM pg_roles WHERE rolname = current_user AND rolsuper`);
  await db.query(
    `ANALYZE page_audits (run_id, url_hash, url, status, status_code, indexable, canonical, content_hash),
             page_links (run_id, from_hash, to_hash, nofollow),
             frontier (run_id, url_hash, in_sitemap, source),
             external_links (run_id, url, status_code),
             image_sizes (run_id, url_hash, bytes)`,
  );
}

/**
 * Checks running at once: they are independent read-only queries, and PostgreSQL runs each on one core, so a few at a
 * time use the cores a crawl no longer needs. More would only queue on the pool.
 */
const SITE_CHECK_CONCURRENCY = 3;

/**
 * Planner settings of every check's transaction. When a run is summarized its rows were written seconds before and are
 * in memory (shared buffers or the OS cache), where reading a page at random costs about what reading the next one
 * does. With PostgreSQL's default random_page_cost (4, for spinning disks) the link checks scanned the whole of
 * page_links, every run's rows, and hash-joined it with the few broken or redirecting targets, instead of reading the
 * targets' inlinks by the (run_id, to_hash) index. EXPLAIN ANALYZE on a database holding a 10k and a 100k run:
 * internal_link_to_redirect at 100k 2.7 → 1.3 s, broken_internal_link at 10k 384 → 214 ms (at 100k ~4 s either way:
 * reading its 211,000 links is the cost). The plans stay free of nested loops that re-read the run (summarizeScale).
 * work_mem 16 MB (default 4): broken_internal_link at 100k looked up the sources of its 211,000 links one index probe
 * at a time (133,000 probes, 1.4 s) because a hash of the run's 100,000 page URLs (12.5 MB) did not fit, and sorted
 * them on disk; with room for both, 2.9-3.2 → 1.7-2.4 s for its SELECT (the other checks unchanged). Per sort or hash
 * of a check's query, only while summarizing, at most three checks at a time.
 * No parallel workers: the checks already run three at a time, and each check's two extra processes only competed for
 * the same cores (all checks on a 100k-page run, three lanes, two vCPUs: 6.2-6.3 → 5.6-5.7 s).
 */
export const CHECK_PLANNER_SETTINGS = `SET LOCAL random_page_cost = 1.1; SET LOCAL work_mem = '16MB'; SET LOCAL max_parallel_workers_per_gather = 0`;

/** `db` whose transactions start with CHECK_PLANNER_SETTINGS. */
function withCheckSettings(db: TxDb): TxDb {
  return {
    transaction: (fn) => db.transaction(async (tx) => {
      await tx.query(CHECK_PLANNER_SETTINGS);
      return fn(tx);
    }),
  };
}

/** The checks that take longest at 10k and 100k pages (100k bench, three at a time: broken links 5.0-5.3 s, redirects 3.2-3.7 s, click depth 2.9-3.1 s). */
const SLOWEST_FIRST = new Set([brokenInternalLink.name, deepPage.name, internalLinkToRedirect.name]);

/**
 * Runs every site check and stores its findings in site_issues, each check replaced in its own transaction; checks
 * with `issueRows` (the link findings, whose source lists are the large ones) are inserted by PostgreSQL itself, so the
 * full lists are never in the worker's memory: `onFindings` sees each check's findings once with the ordinal of its
 * first (the summary's tally): full counts, and capped lists for those that can make the summary's top entries (for
 * the others of an inserted check, no lists), `onCheckDone` each check's wall time. Findings of
 * checks the registry no longer has are dropped.
 */
export async function storeSiteIssues(
  db: TxDb & Db,
  runId: string,
  onFindings: (issues: SiteIssue[], firstOrdinal: number) => void,
  onCheckDone: (name: string, ms: number) => void = () => {},
): Promise<void> {
  const limit = pLimit(SITE_CHECK_CONCURRENCY);
  const checkDb = withCheckSettings(db);
  // The slowest checks start first (the longest job first keeps three lanes from waiting on one at the end); the
  // ordinals still follow the registry.
  const order = SITE_CHECKS.map((check, k) => ({ check, k })).sort((a, b) => Number(SLOWEST_FIRST.has(b.check.name)) - Number(SLOWEST_FIRST.has(a.check.name)) || a.k - b.k);
  await Promise.all(order.map(({ check, k }) => limit(async () => {
    const started = performance.now();
    await (check.issueRows
      ? replaceCheckIssuesFromSelect(checkDb, runId, k, check.issueRows, SUMMARY_LIST_CAP, onFindings, topCandidates)
      : replaceCheckIssues(checkDb, runId, k, async function* (tx) { yield await check.run(tx, runId); }, onFindings));
    onCheckDone(check.name, Math.round(performance.now() - started));
  })));
  await deleteIssuesFromCheck(db, runId, SITE_CHECKS.length);
}

/** Every site-level finding of a run, in registry order, as one list (tests and tools on small runs). */
export async function computeSiteIssues(db: TxDb, runId: string): Promise<SiteIssue[]> {
  const out: SiteIssue[] = [];
  const checkDb = withCheckSettings(db);
  for (const check of SITE_CHECKS) {
    out.push(...(await checkDb.transaction((tx) => check.run(tx, runId))));
  }
  return out;
}
