// src/audit: pure functions of data, no I/O and no layer above it (lint-enforced): page analysis and checks/, the
// check catalogue and thresholds, URL normalization, robots.txt and sitemap parsing, crawl scope, scores, summary;
// records.ts holds the types every layer shares.
// Per-page SEO analysis: pure, synchronous, no I/O. Takes what the fetcher returned and produces the
// compact record the audit keeps (extracted fields, outlinks, findings). Every kept string is copied out
// of the page's HTML so the HTML can be garbage-collected as soon as this returns.
import { checkCanonical, checkCanonicalToHreflangAlternate, checkHreflang, checkHreflangDuplicateLang, parseLinkHeader } from './checks/canonical';
import { checkContent, checkDocument, checkReadability, checkTitleAndDescription } from './checks/content';
import { extractFacts } from './checks/extract';
import { checkImages, checkInsecureReferences, checkLinks, checkProtocolRelative, checkStructuredData } from './checks/links';
import { checkIndexing } from './checks/robots';
import {
  checkCsp, checkFormOnHttp, checkFrameOptions, checkReferrerPolicy, checkResponse, isHtmlMediaType, looksLikeHtml, mediaTypeOf,
} from './checks/response';
import { FindingSink } from './checks/sink';
import { documentBase, hostOfHref, normalize } from './checks/urls';
import { copyString, truncate, wordDigest } from './text';
import { resolveThresholds, type Thresholds } from './thresholds';
import { isSameSite } from './url';
import type { FetchedPage, Finding, HreflangLink, Outlink } from './types';

export { simhashSimilarity } from './text';

export interface AnalyzeOptions {
  thresholds?: Partial<Thresholds>;
  /** The site's host as url.ts's siteHostOf returns it (host plus non-default port). */
  siteHost: string;
  subdomainsInternal?: boolean;
  /** Our crawler's robots token (e.g. "sitesweep"): robots meta tags and X-Robots-Tag for it count too. */
  userAgentToken?: string;
  /** Clock for unavailable_after (ms since epoch); defaults to Date.now(). */
  now?: number;
}

export interface PageAnalysis {
  title: string | null;
  description: string | null;
  h1: string | null;
  h1Count: number;
  lang: string | null;
  /** Absolute normalized canonical URL (HTML head tag first, else the Link header), or null. */
  canonical: string | null;
  /** 2xx, no noindex, no expired unavailable_after, and the canonical is the page itself or missing. */
  indexable: boolean;
  noindex: boolean;
  nofollow: boolean;
  /** Words of the main content. */
  wordCount: number;
  /** First non-empty H2 (site-level duplicate_h2). */
  h2: string | null;
  /** Absolute normalized <link rel=next/prev> targets (site-level pagination checks). */
  relNext: string | null;
  relPrev: string | null;
  /** Scripts, stylesheets, images and frames on the page's own host, normalized (at most MAX_RESOURCES), for the caller's robots.txt check. */
  resources: string[];
  /** sha1 hex of the normalized main text (lower-cased words, single spaces); null without text. */
  contentHash: string | null;
  /** 64-bit SimHash of main-text word 3-shingles, 16 hex chars; null without text. */
  simhash: string | null;
  hreflang: HreflangLink[];
  outlinks: Outlink[];
  imageCount: number;
  /**
   * Distinct absolute image URLs of the site (same-site rule as internal links): <img src>, srcset candidates, CSS
   * backgrounds in <style> and style attributes; at most MAX_IMAGES, sized after the crawl.
   */
  images: string[];
  jsonLdTypes: string[];
  findings: Finding[];
}

const GENERIC_ROBOTS = ['robots', 'googlebot', 'bingbot'];
const MAX_RESOURCES = 100;
const MAX_IMAGES = 50;

/** Distinct normalized resource URLs on `host` (robots.txt governs its own host only). */
function ownResources(raw: readonly string[], base: string, host: string): string[] {
  const out = new Set<string>();
  for (const r of raw) {
    if (out.size >= MAX_RESOURCES) break;
    const url = normalize(r, base);
    if (url !== null && hostOfHref(url) === host) out.add(url);
  }
  return [...out];
}

/** Distinct normalized http(s) image URLs of the site (data: URIs and other hosts dropped). */
function siteImages(srcs: ReadonlyArray<string | null>, base: string, siteHost: string, subdomainsInternal: boolean): string[] {
  const out = new Set<string>();
  for (const src of srcs) {
    if (out.size >= MAX_IMAGES) break;
    if (src === null || src.trim() === '') continue;
    const url = normalize(src, base);
    if (url !== null && !out.has(url) && isSameSite(url, siteHost, { subdomainsInternal })) out.add(copyString(url));
  }
  return [...out];
}

export function analyzePage(page: FetchedPage, opts: AnalyzeOptions): PageAnalysis {
  const t = resolveThresholds(opts.thresholds);
  const now = opts.now ?? Date.now();
  const sink = new FindingSink();
  const agents = new Set(GENERIC_ROBOTS);
  const token = opts.userAgentToken?.trim().toLowerCase();
  if (token) agents.add(token);

  checkResponse(sink, page, t);

  const result: PageAnalysis = {
    title: null, description: null, h1: null, h1Count: 0, lang: null, canonical: null, indexable: false,
    noindex: false, nofollow: false, wordCount: 0, h2: null, relNext: null, relPrev: null, resources: [], contentHash: null, simhash: null, hreflang: [], outlinks: [],
    imageCount: 0, images: [], jsonLdTypes: [], findings: [],
  };

  const ok = page.statusCode >= 200 && page.statusCode < 300;
  if (!ok || page.redirectChain.length > 0) {
    // Error and redirect responses get status findings only: their bodies are not the page. A redirect is judged on its
    // chain and final status; the final response's headers belong to the target's own record.
    result.findings = sink.findings();
    return result;
  }

  const self = normalize(page.finalUrl);
  const links = page.headers.link ? parseLinkHeader(page.headers.link) : [];
  const headerCanonical = links.find((l) => l.rel.includes('canonical'))?.url ?? null;
  const headerHreflang = links
    .filter((l) => l.rel.includes('alternate') && l.hreflang !== undefined)
    .map((l) => ({ lang: l.hreflang as string, href: l.url }));

  const body = page.body;
  const isHtml = body !== null && (isHtmlMediaType(mediaTypeOf(page)) || looksLikeHtml(body));
  if (!isHtml) {
    // Non-HTML 2xx (PDF, images, oversized pages): headers still carry robots and canonical signals.
    const idx = checkIndexing(sink, [], page.headers['x-robots-tag'], agents, now);
    checkCsp(sink, page, false);
    // No canonical_missing here: a canonical header on every PDF or image is not expected.
    const canon = headerCanonical === null ? { canonical: null, selfOrMissing: true } : checkCanonical(sink, [], headerCanonical, self, page.finalUrl);
    result.canonical = canon.canonical === null ? null : copyString(canon.canonical);
    result.noindex = idx.noindex;
    result.nofollow = idx.nofollow;
    result.indexable = !idx.noindex && !idx.expired && canon.selfOrMissing;
    result.findings = sink.findings();
    return result;
  }

  const facts = extractFacts(body, agents);
  const idx = checkIndexing(sink, facts.robotsMeta, page.headers['x-robots-tag'], agents, now);
  checkCsp(sink, page, facts.cspMeta);
  checkFrameOptions(sink, page);
  checkReferrerPolicy(sink, page, facts);

  const summary = checkTitleAndDescription(sink, facts, t);
  const words = wordDigest(facts.mainText);
  checkContent(sink, facts, summary, facts.mainText, words.count, t);
  checkDocument(sink, facts, t);
  checkReadability(sink, facts, t);

  const base = documentBase(facts.baseHref, page.finalUrl);
  const canon = checkCanonical(sink, facts.canonicals, headerCanonical, self, base);
  const selfUrls = [self, canon.canonical].filter((u): u is string => u !== null);
  const hreflang = checkHreflang(sink, facts.hreflang, headerHreflang, selfUrls, facts.htmlLang, base, page.finalUrl);
  checkHreflangDuplicateLang(sink, hreflang);
  checkCanonicalToHreflangAlternate(sink, canon.canonical, self, hreflang);

  const lang = facts.htmlLang?.trim() ?? '';
  const https = page.finalUrl.startsWith('https:');
  const { outlinks } = checkLinks(sink, facts, {
    self,
    base,
    https,
    pageHost: self === null ? '' : hostOfHref(self),
    siteHost: opts.siteHost,
    subdomainsInternal: opts.subdomainsInternal === true,
    lang: lang.toLowerCase().split(/[-_]/)[0],
    pageNofollow: idx.nofollow,
  }, t);
  checkProtocolRelative(sink, facts);
  checkFormOnHttp(sink, facts, https);
  checkImages(sink, facts, t);
  checkInsecureReferences(sink, facts, https, base);
  const jsonLdTypes = checkStructuredData(sink, facts);

  result.title = summary.title === null ? null : copyString(summary.title);
  result.description = summary.description === null ? null : copyString(summary.description);
  result.h1 = summary.h1 === null ? null : copyString(summary.h1);
  result.h1Count = facts.h1Texts.length;
  result.lang = lang === '' ? null : copyString(lang);
  result.canonical = canon.canonical === null ? null : copyString(canon.canonical);
  result.noindex = idx.noindex;
  result.nofollow = idx.nofollow;
  result.indexable = !idx.noindex && !idx.expired && canon.selfOrMissing;
  result.wordCount = words.count;
  const h2 = facts.h2Texts.find((h) => h !== '');
  if (h2 !== undefined) result.h2 = copyString(truncate(h2, 300));
  if (facts.relNext !== null) result.relNext = normalize(facts.relNext, base);
  if (facts.relPrev !== null) result.relPrev = normalize(facts.relPrev, base);
  result.contentHash = words.contentHash;
  result.simhash = words.simhash;
  result.resources = ownResources(facts.resources, base, self === null ? '' : hostOfHref(self));
  result.hreflang = hreflang;
  result.outlinks = outlinks;
  result.imageCount = facts.images.length;
  // <img src> first, then srcset candidates and CSS backgrounds (the per-page cap keeps the plain images).
  result.images = siteImages([...facts.images.map((i) => i.src), ...facts.moreImages], base, opts.siteHost, opts.subdomainsInternal === true);
  result.jsonLdTypes = jsonLdTypes;
  result.findings = sink.findings();
  return result;
}
