// Duplicate H2: the first H2 shared by several indexable 200 pages (per language), as Screaming Frog's H2 "Duplicate".
import { severity, type SiteCheck, type SiteQuery } from './types';

const H2 = `trim(data->>'h2')`;

const DUPLICATE_H2_SQL = `
  SELECT min(${H2}) AS value, array_agg(url ORDER BY url) AS urls
    FROM page_audits
   WHERE run_id = $1 AND status = 'ok' AND status_code = 200 AND indexable AND coalesce(${H2}, '') <> ''
   GROUP BY lower(${H2}), coalesce(lower(split_part(lang, '-', 1)), '')
  HAVING count(*) > 1
   ORDER BY 1`;

export const duplicateH2: SiteCheck = {
  name: 'duplicate_h2',
  codes: ['duplicate_h2'],
  async run(db, runId) {
    const rows: Array<{ value: string; urls: string[] }> = await db.query(DUPLICATE_H2_SQL, [runId]);
    return rows.map((r) => ({ code: 'duplicate_h2', severity: severity('duplicate_h2'), pages: r.urls, count: r.urls.length, detail: r.value }));
  },
};

export const HEADING_QUERIES: SiteQuery[] = [{ name: 'duplicate_h2', sql: DUPLICATE_H2_SQL }];
