// Links, images, insecure references, structured data and Open Graph tags.
import { hasTrackingParam, isSameSite } from '../url';
import type { Outlink } from '../types';
import { charLength, copyString, truncate } from '../text';
import type { Thresholds } from '../thresholds';
import type { PageFacts } from './extract';
import type { FindingSink } from './sink';
import { hostOfHref, isAbsoluteUrl, isLoopbackHost, normalize } from './urls';

export interface LinkContext {
  /** Normalized final URL of the page (null if it does not parse). */
  self: string | null;
  /** Document base URL for relative hrefs. */
  base: string;
  https: boolean;
  /** Host (with port) of the page. */
  pageHost: string;
  siteHost: string;
  subdomainsInternal: boolean;
  /** Primary language subtag of the page, for the non-descriptive link text lists. */
  lang: string;
  /** The page says nofollow for all its links (robots meta or X-Robots-Tag). */
  pageNofollow?: boolean;
}

// Generic link texts (Lighthouse's link-text audit idea, with a few common additions), by language.
const NON_DESCRIPTIVE: Record<string, ReadonlySet<string>> = {
  en: new Set(['click here', 'click this', 'click', 'go', 'here', 'this', 'start', 'right here', 'more', 'learn more', 'read more',
    'continue', 'continue reading', 'more info', 'more information', 'information', 'see more', 'details', 'link', 'this link']),
  de: new Set(['hier', 'hier klicken', 'klicken sie hier', 'mehr', 'weiterlesen', 'mehr erfahren', 'mehr lesen', 'dies', 'link']),
  fr: new Set(['cliquez ici', 'ici', 'plus', 'en savoir plus', 'lire la suite', 'suite', 'lien']),
  es: new Set(['haga clic aquí', 'haz clic aquí', 'click aquí', 'aquí', 'aqui', 'más', 'mas', 'más información', 'leer más', 'enlace', 'este enlace']),
  pt: new Set(['clique aqui', 'aqui', 'mais', 'saiba mais', 'leia mais', 'mais informações', 'ir']),
  it: new Set(['clicca qui', 'qui', 'altro', 'leggi di più', 'scopri di più', 'continua']),
  nl: new Set(['klik hier', 'hier', 'meer', 'lees meer', 'meer info', 'meer informatie']),
};
const ALL_NON_DESCRIPTIVE: ReadonlySet<string> = new Set(Object.values(NON_DESCRIPTIVE).flatMap((s) => [...s]));
const MAX_GENERIC_LENGTH = 40;
// "Read more »", "Learn more →", "More..." are the same generic text with decoration.
const DECORATION = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;

/** Everything about an href that does not depend on the anchor, computed once per distinct href. */
interface HrefInfo {
  url: string | null;
  internal: boolean;
  http: boolean;
  loopback: boolean;
}

export interface LinkResult {
  outlinks: Outlink[];
}

const MAX_LINK_TEXT = 200;

export function checkLinks(sink: FindingSink, f: PageFacts, ctx: LinkContext, t: Thresholds): LinkResult {
  const byRaw = new Map<string, HrefInfo>();
  const internalByHost = new Map<string, boolean>();
  const outlinks = new Map<string, Outlink>();
  const genericTexts = ctx.lang !== '' && Object.hasOwn(NON_DESCRIPTIVE, ctx.lang) ? NON_DESCRIPTIVE[ctx.lang] : ALL_NON_DESCRIPTIVE;
  const pageIsLoopback = isLoopbackHost(ctx.pageHost);

  let notCrawlable = 0;
  let firstNotCrawlable = '';
  let emptyText = 0;
  let generic = 0;
  let firstGeneric = '';
  let internalNofollow = 0;
  let toHttp = 0;
  let toLocalhost = 0;
  let blankNoOpener = 0;
  let tracking = 0;
  let firstTracking = '';
  let externalFollow = 0;

  for (const a of f.anchors) {
    const raw = a.href === null ? null : a.href.trim();
    const lower = raw?.toLowerCase() ?? '';
    if (lower.startsWith('mailto:') || lower.startsWith('tel:')) continue;

    // Crawlability, as Lighthouse's crawlable-anchors judges it.
    if (!a.placeholderOk && (raw === null || raw === '' || lower.replace(/\s/g, '').startsWith('javascript:') || lower.startsWith('file:'))) {
      notCrawlable++;
      if (firstNotCrawlable === '') firstNotCrawlable = raw === null ? '<a> without href' : raw === '' ? 'href=""' : raw;
      continue;
    }
    if (raw === null || raw === '' || raw.startsWith('#') || lower.startsWith('javascript:')) continue;

    let info = byRaw.get(raw);
    if (info === undefined) {
      const url = normalize(raw, ctx.base);
      info = { url, internal: false, http: false, loopback: false };
      if (url !== null) {
        const host = hostOfHref(url);
        let same = internalByHost.get(host);
        if (same === undefined) {
          same = isSameSite(url, ctx.siteHost, { subdomainsInternal: ctx.subdomainsInternal });
          internalByHost.set(host, same);
        }
        info.internal = same;
        info.http = url.startsWith('http:');
        info.loopback = !pageIsLoopback && isLoopbackHost(host);
      } else if (!/^[a-z][a-z0-9+.-]*:/i.test(raw)) {
        // Relative but unparsable: broken for crawlers as well.
        notCrawlable++;
        if (firstNotCrawlable === '') firstNotCrawlable = raw;
      }
      byRaw.set(raw, info);
    }
    const url = info.url;
    if (url === null) continue;

    const nofollow = a.rel.includes(' nofollow ');
    const text = a.text !== '' ? a.text : a.imgAlt !== '' ? a.imgAlt : a.label;
    const existing = outlinks.get(url);
    if (existing === undefined) {
      outlinks.set(url, { url, text, nofollow, internal: info.internal });
    } else {
      if (existing.text === '' && text !== '') existing.text = text;
      // A URL counts as followed if any link to it is.
      if (!nofollow) existing.nofollow = false;
    }

    if (text === '') emptyText++;
    if (info.internal && nofollow) internalNofollow++;
    if (info.internal && raw.includes('?') && hasTrackingParam(raw)) {
      tracking++;
      if (firstTracking === '') firstTracking = raw;
    }
    if (!info.internal && !nofollow && !ctx.pageNofollow && !a.rel.includes(' sponsored ') && !a.rel.includes(' ugc ')) externalFollow++;
    if (ctx.https && info.http) toHttp++;
    if (info.loopback) toLocalhost++;
    if (a.target === '_blank' && !info.internal && !a.rel.includes(' noopener ') && !a.rel.includes(' noreferrer ')) blankNoOpener++;
    // Generic texts are short: skip the Unicode regex for everything longer than the longest of them.
    if (!nofollow && a.text !== '' && a.text.length <= MAX_GENERIC_LENGTH && url !== ctx.self) {
      const key = a.text.toLowerCase().replace(DECORATION, '');
      if (genericTexts.has(key)) {
        generic++;
        if (firstGeneric === '') firstGeneric = a.text;
      }
    }
  }

  if (notCrawlable > 0) sink.add('anchor_not_crawlable', `${notCrawlable} ${notCrawlable === 1 ? 'link' : 'links'}, e.g. ${truncate(firstNotCrawlable, 80)}`);
  if (emptyText > 0) sink.add('link_text_empty', `${emptyText} ${emptyText === 1 ? 'link' : 'links'}`);
  if (generic > 0) sink.add('link_text_nondescriptive', `${generic} ${generic === 1 ? 'link' : 'links'}, e.g. "${truncate(firstGeneric, 40)}"`);
  if (internalNofollow > 0) sink.add('internal_nofollow', `${internalNofollow} ${internalNofollow === 1 ? 'link' : 'links'}`);
  if (toHttp > 0) sink.add('link_to_http', `${toHttp} ${toHttp === 1 ? 'link' : 'links'}`);
  if (toLocalhost > 0) sink.add('link_to_localhost', `${toLocalhost} ${toLocalhost === 1 ? 'link' : 'links'}`);
  if (blankNoOpener > 0) sink.add('target_blank_no_noopener', `${blankNoOpener} ${blankNoOpener === 1 ? 'link' : 'links'}`);
  checkTrackingLinks(sink, tracking, firstTracking);
  checkExternalFollow(sink, externalFollow);
  if (outlinks.size > t.maxLinks) sink.add('too_many_links', `${outlinks.size} links`);
  let internalOut = 0;
  for (const o of outlinks.values()) if (o.internal && o.url !== ctx.self) internalOut++;
  if (internalOut === 0) sink.add('no_outlinks');

  // Copy only what leaves the function: URLs are fresh strings from the URL parser, texts are page slices.
  const list: Outlink[] = [];
  for (const o of outlinks.values()) {
    list.push({ url: copyString(o.url), text: copyString(truncate(o.text, MAX_LINK_TEXT)), nofollow: o.nofollow, internal: o.internal });
  }
  return { outlinks: list };
}

const links = (n: number): string => `${n} ${n === 1 ? 'link' : 'links'}`;

/** Internal links with utm_*, gclid, fbclid…: every click resets the visit's attribution and crawlers see URL variants. */
export function checkTrackingLinks(sink: FindingSink, count: number, first: string): void {
  if (count > 0) sink.add('internal_link_tracking_params', `${links(count)}, e.g. ${truncate(first, 100)}`);
}

/** Followed links to other sites (informational: most are fine, paid or user-generated ones need a rel). */
export function checkExternalFollow(sink: FindingSink, count: number): void {
  if (count > 0) sink.add('external_link_followed', links(count));
}

/** href/src written as "//host/path": fetched over http from any http copy of the page. */
export function checkProtocolRelative(sink: FindingSink, f: PageFacts): void {
  if (f.protocolRelative > 0) sink.add('protocol_relative_link', `${f.protocolRelative} ${f.protocolRelative === 1 ? 'reference' : 'references'}`);
}

export function checkImages(sink: FindingSink, f: PageFacts, t: Thresholds): void {
  let noAlt = 0;
  let longAlt = 0;
  let longest = 0;
  let noSize = 0;
  for (const img of f.images) {
    if (img.alt === null) noAlt++;
    else {
      const n = charLength(img.alt.trim());
      if (n > t.imgAltMaxChars) {
        longAlt++;
        longest = Math.max(longest, n);
      }
    }
    if (!img.hasWidth || !img.hasHeight) noSize++;
  }
  const images = (n: number): string => `${n} ${n === 1 ? 'image' : 'images'}`;
  if (noAlt > 0) sink.add('img_alt_missing', images(noAlt));
  if (longAlt > 0) sink.add('img_alt_too_long', `${images(longAlt)}, up to ${longest} chars`);
  if (noSize > 0) sink.add('img_missing_dimensions', images(noSize));
  if (f.picturesWithoutImg > 0) sink.add('picture_missing_img', `${f.picturesWithoutImg} <picture>`);
}

/** http: references from an https page: explicit http: URLs, or relative ones under an http <base>. */
function insecureCount(values: readonly string[], baseIsHttp: boolean): number {
  let n = 0;
  for (const v of values) {
    const s = v.trim();
    if (/^http:/i.test(s) || (baseIsHttp && s !== '' && !isAbsoluteUrl(s))) n++;
  }
  return n;
}

export function checkInsecureReferences(sink: FindingSink, f: PageFacts, https: boolean, base: string): void {
  if (!https) return;
  const baseIsHttp = base.startsWith('http:');
  const mixed = insecureCount(f.resources, baseIsHttp);
  if (mixed > 0) sink.add('mixed_content', `${mixed} ${mixed === 1 ? 'resource' : 'resources'}`);
  const forms = insecureCount(f.formActions, baseIsHttp);
  if (forms > 0) sink.add('form_to_http', `${forms} ${forms === 1 ? 'form' : 'forms'}`);
}

function collectTypes(node: unknown, out: Set<string>, depth: number): void {
  if (depth > 3 || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) collectTypes(item, out, depth + 1);
    return;
  }
  const obj = node as Record<string, unknown>;
  const type = obj['@type'];
  if (typeof type === 'string') out.add(type);
  else if (Array.isArray(type)) for (const x of type) if (typeof x === 'string') out.add(x);
  if (Array.isArray(obj['@graph'])) collectTypes(obj['@graph'], out, depth + 1);
}

const MAX_JSONLD_TYPES = 50;

/** Validates JSON-LD blocks and returns the top-level @types (and those of @graph items). */
export function checkStructuredData(sink: FindingSink, f: PageFacts): string[] {
  const types = new Set<string>();
  let invalid = 0;
  for (const block of f.jsonLd) {
    try {
      collectTypes(JSON.parse(block) as unknown, types, 0);
    } catch {
      invalid++;
    }
  }
  if (invalid > 0) sink.add('jsonld_invalid', `${invalid} of ${f.jsonLd.length} blocks`);
  if (!f.ogTitle) sink.add('og_title_missing');
  if (!f.ogDescription) sink.add('og_description_missing');
  if (!f.ogImage) sink.add('og_image_missing');
  return [...types].slice(0, MAX_JSONLD_TYPES).map((s) => copyString(truncate(s, 100)));
}
