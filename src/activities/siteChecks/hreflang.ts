// hreflang alternates: targets that are not indexable 200 pages, and alternates that do not link back.
import { pageList, type SiteCheck } from './types';

// Alternates that were crawled (an alternate the crawl never reached cannot be judged).
const HREFLANG_SQL = `
  SELECT p.url, h->>'lang' AS lang, h->>'href' AS href, t.url AS t_url, t.status AS t_state, t.status_code AS t_status,
         t.noindex AS t_noindex, t.canonical AS t_canonical,
         EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(t.data->'hreflang', '[]'::jsonb)) b
                  WHERE b->>'href' IN (p.url, coalesce(p.canonical, p.url))) AS returns
    FROM page_audits p
   CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.data->'hreflang') = 'array' THEN p.data->'hreflang' ELSE '[]'::jsonb END) h
    JOIN page_audits t ON t.run_id = p.run_id AND t.url = h->>'href'
   WHERE p.run_id = $1 AND p.status = 'ok' AND p.status_code = 200 AND h->>'href' <> p.url
   ORDER BY p.url, h->>'href', h->>'lang'`;

type Row = { url: string; lang: string; href: string; t_state: string; t_status: number | null; t_noindex: boolean | null; t_canonical: string | null; t_url: string; returns: boolean };

export const hreflangAlternates: SiteCheck = {
  name: 'hreflang_alternates',
  codes: ['hreflang_no_return', 'hreflang_bad_target'],
  async run(db, runId) {
    const rows: Row[] = await db.query(HREFLANG_SQL, [runId]);
    const bad: Row[] = [];
    const noReturn: Row[] = [];
    const seen = new Set<string>();
    for (const r of rows) {
      const key = `${r.url} ${r.href}`;
      if (seen.has(key)) continue; // x-default and a language pointing at the same URL are one alternate
      seen.add(key);
      const good = r.t_state === 'ok' && r.t_status === 200 && !r.t_noindex && (r.t_canonical === null || r.t_canonical === r.t_url);
      if (!good) bad.push(r);
      else if (!r.returns) noReturn.push(r);
    }
    const issue = (code: string, list: Row[]) =>
      pageList(code, [...new Set(list.map((r) => r.url))], { sources: list.map((r) => ({ from: r.url, to: r.href, text: r.lang })) });
    return [...issue('hreflang_no_return', noReturn), ...issue('hreflang_bad_target', bad)];
  },
};
