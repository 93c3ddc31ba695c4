// Canonical targets that are not a good final page: a redirect, an error, a noindex page, or a page canonicalising on.
import { isDeliberateFailure } from '../../audit/records';
import { pageList, type SiteCheck, type SiteQuery } from './types';

const CANONICAL_SQL = `
  SELECT p.url, p.canonical, t.url AS t_url, t.status AS t_state, t.status_code AS t_status, t.failure_reason AS t_reason,
         t.noindex AS t_noindex, t.canonical AS t_canonical
    FROM page_audits p
    JOIN page_audits t ON t.run_id = p.run_id AND t.url = p.canonical
   WHERE p.run_id = $1 AND t.run_id = $1 AND p.status = 'ok' AND p.status_code = 200 AND p.canonical IS NOT NULL AND p.canonical <> p.url
   ORDER BY p.url`;

type Row = { url: string; canonical: string; t_url: string; t_state: string; t_status: number | null; t_reason: string | null; t_noindex: boolean | null; t_canonical: string | null };

export const CANONICAL_CODES = ['canonical_to_redirect', 'canonical_to_error', 'canonical_to_noindex', 'canonical_chain'] as const;

/** Which canonical finding a (page, canonical target) pair is, if any. */
function classify(r: Row): (typeof CANONICAL_CODES)[number] | null {
  if (r.t_status !== null && r.t_status >= 300 && r.t_status < 400) return 'canonical_to_redirect';
  if ((r.t_status !== null && r.t_status >= 400) || (r.t_state === 'failed' && !isDeliberateFailure(r.t_reason))) return 'canonical_to_error';
  if (r.t_status === 200 && r.t_noindex) return 'canonical_to_noindex';
  if (r.t_status === 200 && r.t_canonical !== null && r.t_canonical !== r.t_url) return 'canonical_chain';
  return null;
}

/** One query for the four canonical findings (they share the page → target join). */
export const canonicalTargets: SiteCheck = {
  name: 'canonical_targets',
  codes: CANONICAL_CODES,
  async run(db, runId) {
    const rows: Row[] = await db.query(CANONICAL_SQL, [runId]);
    const by = new Map<(typeof CANONICAL_CODES)[number], Row[]>(CANONICAL_CODES.map((c) => [c, []]));
    for (const r of rows) {
      const code = classify(r);
      if (code) by.get(code)!.push(r);
    }
    return [...by].flatMap(([code, list]) =>
      pageList(code, list.map((r) => r.url), { sources: list.map((r) => ({ from: r.url, to: r.canonical, text: '' })) }),
    );
  },
};

export const CANONICAL_QUERIES: SiteQuery[] = [{ name: 'canonical_targets', sql: CANONICAL_SQL }];
