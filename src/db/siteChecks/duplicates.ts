// Duplicate titles, descriptions and H1s, identical main text, near-duplicate text: groups of indexable 200 pages.
import type { SiteCheckCode } from '../../audit/catalogue';
import { nearDuplicateClusters, similarityDetail } from '../../audit/nearDuplicates';
import type { SiteIssue } from '../../audit/records';
import { pageList, severity, type Db, type SiteCheck, type SiteQuery } from './types';

/** Pairwise near-duplicate search is bounded to this many pages (banding keeps it near linear below that). */
const MAX_NEAR_DUPLICATE_PAGES = 50_000;

const duplicateSql = (column: 'title' | 'description' | 'h1') =>
  `SELECT min(${column}) AS value, array_agg(url ORDER BY url) AS urls
     FROM page_audits
    WHERE run_id = $1 AND status = 'ok' AND status_code = 200 AND indexable AND coalesce(trim(${column}), '') <> ''
    GROUP BY lower(trim(${column})), coalesce(lower(split_part(lang, '-', 1)), '')
   HAVING count(*) > 1
    ORDER BY 1`;

/** Groups of indexable 200 pages sharing a value (per language). */
function duplicateOf(code: SiteCheckCode, column: 'title' | 'description' | 'h1'): SiteCheck {
  return {
    name: code,
    codes: [code],
    async run(db, runId) {
      const rows: Array<{ value: string; urls: string[] }> = await db.query(duplicateSql(column), [runId]);
      return rows.map((r) => ({ code, severity: severity(code), pages: r.urls, count: r.urls.length, detail: r.value }));
    },
  };
}

export const duplicateTitle = duplicateOf('duplicate_title', 'title');
export const duplicateDescription = duplicateOf('duplicate_description', 'description');
export const duplicateH1 = duplicateOf('duplicate_h1', 'h1');

const DUPLICATE_CONTENT_SQL = `
  SELECT array_agg(url ORDER BY url) AS urls, min(word_count)::int AS words FROM page_audits
   WHERE run_id = $1 AND status = 'ok' AND status_code = 200 AND indexable AND content_hash IS NOT NULL
   GROUP BY content_hash HAVING count(*) > 1 ORDER BY min(url)`;

/** Exact duplicates: the same main-text hash on several indexable 200 pages. */
export const duplicateContent: SiteCheck = {
  name: 'duplicate_content',
  codes: ['duplicate_content'],
  async run(db, runId) {
    const rows: Array<{ urls: string[]; words: number }> = await db.query(DUPLICATE_CONTENT_SQL, [runId]);
    return rows.flatMap((d) => pageList('duplicate_content', d.urls, { detail: `identical main text (${d.words} ${d.words === 1 ? 'word' : 'words'})` }));
  },
};

const SIMHASH_SQL = `
  SELECT url, simhash, content_hash FROM page_audits
   WHERE run_id = $1 AND status = 'ok' AND status_code = 200 AND indexable AND simhash ~ '^[0-9a-f]{16}$'
   ORDER BY url LIMIT $2`;

/** Near duplicates: SimHashes ≥ 90% equal (see nearDuplicateClusters), identical texts excluded. */
export const nearDuplicate: SiteCheck = {
  name: 'near_duplicate',
  codes: ['near_duplicate'],
  async run(db: Db, runId: string): Promise<SiteIssue[]> {
    const sims: Array<{ url: string; simhash: string; content_hash: string | null }> = await db.query(SIMHASH_SQL, [runId, MAX_NEAR_DUPLICATE_PAGES]);
    return nearDuplicateClusters(sims.map((s) => ({ url: s.url, simhash: s.simhash, contentHash: s.content_hash })))
      .flatMap((c) => pageList('near_duplicate', c.urls, { detail: similarityDetail(c.minSimilarity) }));
  },
};

export const DUPLICATE_QUERIES: SiteQuery[] = [
  { name: 'duplicate_title', sql: duplicateSql('title') },
  { name: 'duplicate_content', sql: DUPLICATE_CONTENT_SQL },
];
