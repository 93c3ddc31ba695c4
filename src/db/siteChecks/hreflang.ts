// hreflang alternates: targets that are not indexable 200 pages (one code per kind), and alternates that do not link
// back.
import type { SiteCheckCode } from '../../audit/catalogue';
import { isDeliberateFailure } from '../../audit/records';
import { pageList, type SiteCheck } from './types';

// Alternates that were fetched (the crawl fetches every on-site alternate once, linked or not: persist.ts enqueueTargets).
const HREFLANG_SQL = `
  SELECT p.url, h->>'lang' AS lang, h->>'href' AS href, t.url AS t_url, t.status AS t_state, t.status_code AS t_status,
         t.failure_reason AS t_reason, t.noindex AS t_noindex, t.canonical AS t_canonical,
         EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(t.data->'hreflang', '[]'::jsonb)) b
                  WHERE b->>'href' IN (p.url, coalesce(p.canonical, p.url))) AS returns
    FROM page_audits p
   CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.data->'hreflang') = 'array' THEN p.data->'hreflang' ELSE '[]'::jsonb END) h
    JOIN page_audits t ON t.run_id = p.run_id AND t.url = h->>'href'
   WHERE p.run_id = $1 AND p.status = 'ok' AND p.status_code = 200 AND h->>'href' <> p.url
   ORDER BY p.url, h->>'href', h->>'lang'`;

type Row = { url: string; lang: string; href: string; t_state: string; t_status: number | null; t_reason: string | null; t_noindex: boolean | null; t_canonical: string | null; t_url: string; returns: boolean };

export const HREFLANG_TARGET_CODES = ['hreflang_to_redirect', 'hreflang_to_error', 'hreflang_to_noindex', 'hreflang_to_non_canonical'] as const;

/** What is wrong with an alternate's target, if anything (null: an indexable, self-canonical 200 page, or not judgeable). */
function classify(r: Row): (typeof HREFLANG_TARGET_CODES)[number] | 'ok' | null {
  if (r.t_status !== null && r.t_status >= 300 && r.t_status < 400) return 'hreflang_to_redirect';
  if ((r.t_status !== null && r.t_status >= 400) || (r.t_state === 'failed' && !isDeliberateFailure(r.t_reason))) return 'hreflang_to_error';
  if (r.t_state !== 'ok' || r.t_status !== 200) return null;
  if (r.t_noindex) return 'hreflang_to_noindex';
  if (r.t_canonical !== null && r.t_canonical !== r.t_url) return 'hreflang_to_non_canonical';
  return 'ok';
}

export const hreflangAlternates: SiteCheck = {
  name: 'hreflang_alternates',
  codes: ['hreflang_no_return', ...HREFLANG_TARGET_CODES],
  async run(db, runId) {
    const rows: Row[] = await db.query(HREFLANG_SQL, [runId]);
    const by = new Map<SiteCheckCode, Row[]>((['hreflang_no_return', ...HREFLANG_TARGET_CODES] as const).map((c) => [c, []]));
    const seen = new Set<string>();
    for (const r of rows) {
      const key = `${r.url} ${r.href}`;
      if (seen.has(key)) continue; // x-default and a language pointing at the same URL are one alternate
      seen.add(key);
      const kind = classify(r);
      if (kind === 'ok') {
        if (!r.returns) by.get('hreflang_no_return')!.push(r);
      } else if (kind !== null) by.get(kind)!.push(r);
    }
    const issue = (code: SiteCheckCode, list: Row[]) =>
      pageList(code, [...new Set(list.map((r) => r.url))], { sources: list.map((r) => ({ from: r.url, to: r.href, text: r.lang })) });
    return [...by].flatMap(([code, list]) => issue(code, list));
  },
};
