// Canonical and hreflang checks, from the HTML and from the HTTP Link header.
import type { HreflangLink } from '../types';
import { copyString } from '../text';
import type { HreflangTagFacts, LinkTagFacts } from './extract';
import type { FindingSink } from './sink';
import { isAbsoluteUrl, normalize } from './urls';

export interface LinkHeaderEntry {
  url: string;
  /** rel tokens, lower-cased. */
  rel: string[];
  hreflang?: string;
}

/** Parses an HTTP Link header: `<url>; rel="canonical", <url>; rel="alternate"; hreflang="de"`. */
export function parseLinkHeader(value: string): LinkHeaderEntry[] {
  const out: LinkHeaderEntry[] = [];
  const re = /<([^>]*)>((?:\s*;\s*[^;,=\s]+\s*(?:=\s*(?:"[^"]*"|[^;,]*))?)*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    const entry: LinkHeaderEntry = { url: m[1].trim(), rel: [] };
    const paramRe = /;\s*([^;,=\s]+)\s*(?:=\s*(?:"([^"]*)"|([^;,]*)))?/g;
    let p: RegExpExecArray | null;
    while ((p = paramRe.exec(m[2])) !== null) {
      const key = p[1].toLowerCase();
      const v = (p[2] ?? p[3] ?? '').trim();
      if (key === 'rel') entry.rel = v.toLowerCase().split(/\s+/).filter(Boolean);
      else if (key === 'hreflang') entry.hreflang = v;
    }
    out.push(entry);
  }
  return out;
}

export interface CanonicalResult {
  /** Normalized absolute canonical that applies, or null. */
  canonical: string | null;
  /** The canonical is missing or names the page itself. */
  selfOrMissing: boolean;
}

/**
 * `self` is the page's normalized final URL, `base` the document base for relative hrefs, `header` the
 * canonical from the Link header if any (already resolved against the final URL).
 */
export function checkCanonical(
  sink: FindingSink,
  tags: readonly LinkTagFacts[],
  headerHref: string | null,
  self: string | null,
  base: string,
): CanonicalResult {
  let htmlCanonical: string | null = null;
  const distinct = new Set<string>();
  for (const tag of tags) {
    const raw = (tag.href ?? '').trim();
    if (!tag.inHead) sink.add('canonical_outside_head');
    if (raw === '') {
      sink.add('canonical_invalid', 'empty href');
      continue;
    }
    if (raw.includes('#')) sink.add('canonical_fragment');
    if (!isAbsoluteUrl(raw)) sink.add('canonical_relative', raw);
    const url = normalize(raw, base);
    if (url === null) {
      sink.add('canonical_invalid', raw);
      continue;
    }
    distinct.add(url);
    // Search engines ignore canonicals in the body: only head ones apply.
    if (tag.inHead && htmlCanonical === null) htmlCanonical = url;
  }
  if (tags.length > 1) sink.add('canonical_multiple', `${tags.length} tags${distinct.size > 1 ? ', different URLs' : ''}`);

  let header: string | null = null;
  if (headerHref !== null) {
    header = normalize(headerHref, self ?? base);
    if (header === null) sink.add('canonical_invalid', `Link header: ${headerHref}`);
  }
  if (header !== null && htmlCanonical !== null && header !== htmlCanonical) sink.add('canonical_conflict_header', header);
  if (tags.length === 0 && headerHref === null) sink.add('canonical_missing');

  const canonical = htmlCanonical ?? header;
  if (canonical === null || self === null) return { canonical, selfOrMissing: canonical === null };
  const selfOrMissing = canonical === self;
  if (!selfOrMissing) {
    sink.add('canonical_elsewhere', canonical);
    const c = new URL(canonical);
    const s = new URL(self);
    if (c.pathname === '/' && c.search === '' && c.host === s.host && s.pathname !== '/') sink.add('canonical_to_root');
  }
  return { canonical, selfOrMissing };
}

// ISO 639-1 languages and ISO 3166-1 alpha-2 regions: what search engines accept in hreflang.
const ISO639_1 = new Set(('aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el '
  + 'en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl '
  + 'km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa '
  + 'pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur '
  + 'uz ve vi vo wa wo xh yi yo za zh zu').split(' '));
const ISO3166 = new Set(('ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs bt bv bw by bz '
  + 'ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg eh er es et fi fj fk fm fo fr ga gb gd ge gf gg gh '
  + 'gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb '
  + 'lc li lk lr ls lt lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om '
  + 'pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st sv sx sy sz tc td tf tg '
  + 'th tj tk tl tm tn to tr tt tv tw tz ua ug um us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw').split(' '));

/** language[-Script][-REGION], or x-default. */
export function isValidHreflang(code: string): boolean {
  const c = code.trim().toLowerCase();
  if (c === 'x-default') return true;
  const parts = c.split('-');
  if (!ISO639_1.has(parts[0])) return false;
  let i = 1;
  if (i < parts.length && /^[a-z]{4}$/.test(parts[i])) i++;
  if (i < parts.length && (ISO3166.has(parts[i]) || /^\d{3}$/.test(parts[i]))) i++;
  return i === parts.length;
}

export function checkHreflang(
  sink: FindingSink,
  tags: readonly HreflangTagFacts[],
  headerEntries: readonly { lang: string; href: string }[],
  selfUrls: readonly string[],
  htmlLang: string | null,
  base: string,
  finalUrl: string,
): HreflangLink[] {
  const links: HreflangLink[] = [];
  const seen = new Set<string>();
  const all = [
    ...tags.map((t) => ({ lang: t.lang, href: t.href ?? '', base })),
    ...headerEntries.map((e) => ({ lang: e.lang, href: e.href, base: finalUrl })),
  ];
  if (all.length === 0) return links;

  let hasXDefault = false;
  const selfLangs: string[] = [];
  for (const { lang: rawLang, href: rawHref, base: b } of all) {
    const lang = rawLang.trim();
    if (!isValidHreflang(lang)) sink.add('hreflang_invalid_code', lang === '' ? '(empty)' : lang);
    const href = rawHref.trim();
    if (href !== '' && !isAbsoluteUrl(href)) sink.add('hreflang_relative', href);
    const url = href === '' ? null : normalize(href, b);
    if (lang.toLowerCase() === 'x-default') hasXDefault = true;
    if (url === null) continue;
    if (selfUrls.includes(url) && lang.toLowerCase() !== 'x-default') selfLangs.push(lang.toLowerCase());
    const key = `${lang.toLowerCase()} ${url}`;
    if (seen.has(key)) continue;
    seen.add(key);
    links.push({ lang: copyString(lang), href: copyString(url) });
  }
  const selfIsAlternate = links.some((l) => selfUrls.includes(l.href));
  if (!selfIsAlternate) sink.add('hreflang_missing_self');
  if (!hasXDefault) sink.add('hreflang_missing_x_default');

  const pageLang = htmlLang?.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  if (pageLang !== '' && selfLangs.length > 0 && !selfLangs.some((l) => l.split('-')[0] === pageLang)) {
    sink.add('hreflang_lang_mismatch', `hreflang ${selfLangs[0]}, lang ${htmlLang?.trim() ?? ''}`);
  }
  return links;
}

/** One language (x-default included) given more than one URL: search engines cannot tell which one to show. */
export function checkHreflangDuplicateLang(sink: FindingSink, links: readonly HreflangLink[]): void {
  const byLang = new Map<string, string>();
  for (const l of links) {
    const lang = l.lang.toLowerCase();
    const first = byLang.get(lang);
    if (first === undefined) byLang.set(lang, l.href);
    else if (first !== l.href) {
      sink.add('hreflang_duplicate_lang', `${lang}: ${first}, ${l.href}`);
      return;
    }
  }
}

/**
 * The canonical names another language version of the page (Lighthouse's rule: the page and its canonical are both
 * hreflang alternates, and differ), which tells search engines to drop this language version.
 */
export function checkCanonicalToHreflangAlternate(sink: FindingSink, canonical: string | null, self: string | null, links: readonly HreflangLink[]): void {
  if (canonical === null || self === null || canonical === self) return;
  let selfListed = false;
  let canonicalListed = false;
  for (const l of links) {
    if (l.href === self) selfListed = true;
    if (l.href === canonical) canonicalListed = true;
  }
  if (selfListed && canonicalListed) sink.add('canonical_to_hreflang_alternate', canonical);
}
