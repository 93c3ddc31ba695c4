// rel=next/prev sequences: a link to a page that is not a 200 page, or a neighbour that does not point back. Targets the
// crawl did not reach cannot be judged and are left out.
import { isDeliberateFailure } from '../../audit/records';
import { pageList, type SiteCheck, type SiteQuery } from './types';


const side = (dir: 'next' | 'prev', key: 'relNext' | 'relPrev', backKey: 'relNext' | 'relPrev') => `
  SELECT p.url, '${dir}' AS dir, t.url AS target, t.status AS t_state, t.status_code AS t_status, t.failure_reason AS t_reason,
         t.data->>'${backKey}' AS back
    FROM page_audits p
    JOIN page_audits t ON t.run_id = $1 AND t.url = p.data->>'${key}'
   WHERE p.run_id = $1 AND p.status = 'ok' AND p.status_code = 200 AND p.data ? '${key}' AND p.data->>'${key}' <> p.url`;

const PAGINATION_SQL = `${side('next', 'relNext', 'relPrev')}
  UNION ALL ${side('prev', 'relPrev', 'relNext')}
  ORDER BY 1, 2`;

type Row = { url: string; dir: 'next' | 'prev'; target: string; t_state: string; t_status: number | null; t_reason: string | null; back: string | null };

/** Why a rel=next/prev link breaks the sequence, or null when it holds. */
export function paginationProblem(r: Row): string | null {
  if (r.t_state === 'failed') return isDeliberateFailure(r.t_reason) ? null : `${r.dir}: ${r.t_reason ?? 'failed'}`;
  if (r.t_status !== 200) return `${r.dir}: HTTP ${r.t_status ?? '?'}`;
  const opposite = r.dir === 'next' ? 'prev' : 'next';
  if (r.back === null) return `${r.dir}: the target has no rel=${opposite}`;
  if (r.back !== r.url) return `${r.dir}: the target's rel=${opposite} points elsewhere`;
  return null;
}

export const paginationBroken: SiteCheck = {
  name: 'pagination_broken',
  codes: ['pagination_broken'],
  async run(db, runId) {
    const rows: Row[] = await db.query(PAGINATION_SQL, [runId]);
    const bad = rows.flatMap((r) => {
      const why = paginationProblem(r);
      return why === null ? [] : [{ from: r.url, to: r.target, text: why }];
    });
    return pageList('pagination_broken', [...new Set(bad.map((b) => b.from))], { sources: bad });
  },
};

export const PAGINATION_QUERIES: SiteQuery[] = [{ name: 'pagination_broken', sql: PAGINATION_SQL }];
