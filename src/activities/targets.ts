// What a crawled page points at besides its links: its canonical, its hreflang alternates and, for a redirect, the
// redirect's target. These are fetched even when no link reaches them (see persist.ts enqueueTargets), so that
// canonical-to-redirect/error/noindex and the hreflang target findings do not depend on the crawl happening by.
import type { PageAnalysis } from '../audit/analyzePage';
import { isSameSite, normalizeUrl, urlHash } from '../audit/url';
import type { FetchResult } from '../crawl/fetcher';

const MAX_TARGETS_PER_PAGE = 50;

export function pageTargets(url: string, res: FetchResult, analysis: PageAnalysis, site: { siteHost: string; subdomainsInternal: boolean; stripParams?: string[] }): Array<{ url: string; urlHash: string }> {
  const raw = [
    ...(res.redirectChain.length > 0 ? [res.finalUrl] : []),
    ...(analysis.canonical ? [analysis.canonical] : []),
    ...analysis.hreflang.map((h) => h.href),
  ];
  const strip = site.stripParams?.length ? { stripParams: site.stripParams } : undefined;
  const out = new Map<string, string>();
  for (const r of raw) {
    const n = normalizeUrl(r, url, strip);
    if (!n || n === url || out.has(n) || !isSameSite(n, site.siteHost, { subdomainsInternal: site.subdomainsInternal })) continue;
    out.set(n, urlHash(n));
    if (out.size >= MAX_TARGETS_PER_PAGE) break;
  }
  return [...out].map(([u, h]) => ({ url: u, urlHash: h }));
}
