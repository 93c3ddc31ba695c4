// URL normalization and site membership. Runs for every link of every page, so it avoids
// URLSearchParams (which would re-encode untouched params) and works on the serialized href.
import { hash } from 'node:crypto';
import { getDomain } from 'tldts';

export interface NormalizeOptions {
  /** Extra query params to drop: strings match the key exactly (case-insensitive), RegExps are tested against the key. */
  stripParams?: (string | RegExp)[];
}

/** Click/campaign trackers that never change the page's content; `utm_*` is matched by prefix. */
const TRACKING_PARAMS: ReadonlySet<string> = new Set(['gclid', 'fbclid', 'msclkid', 'mc_cid', 'mc_eid', '_ga']);

function isTrackingKey(key: string, extra: readonly (string | RegExp)[] | undefined): boolean {
  const lower = key.toLowerCase();
  if (lower.startsWith('utm_') || TRACKING_PARAMS.has(lower)) return true;
  if (extra) {
    for (const p of extra) {
      if (typeof p === 'string') {
        if (p.toLowerCase() === lower) return true;
      } else {
        p.lastIndex = 0; // a /g or /y pattern would otherwise carry state between keys
        if (p.test(key)) return true;
      }
    }
  }
  return false;
}

/** Whether a raw href carries a click/campaign tracking param (utm_*, gclid, fbclid…) in its query. */
export function hasTrackingParam(href: string): boolean {
  const q = href.indexOf('?');
  if (q < 0) return false;
  const hash = href.indexOf('#', q);
  for (const part of href.slice(q + 1, hash < 0 ? undefined : hash).split('&')) {
    const eq = part.indexOf('=');
    if (part !== '' && isTrackingKey(decodeKey(eq < 0 ? part : part.slice(0, eq)), undefined)) return true;
  }
  return false;
}

function decodeKey(rawKey: string): string {
  // Keys are nearly always plain ASCII; only pay for decoding when something is encoded.
  if (rawKey.indexOf('%') < 0 && rawKey.indexOf('+') < 0) return rawKey;
  try {
    return decodeURIComponent(rawKey.replace(/\+/g, ' '));
  } catch {
    return rawKey;
  }
}

/** Drops tracking params from a query string (without its '?'); returns it unchanged when none matched. */
function stripQuery(query: string, extra: readonly (string | RegExp)[] | undefined): string {
  const parts = query.split('&');
  let removed = false;
  const kept: string[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeKey(eq < 0 ? part : part.slice(0, eq));
    if (isTrackingKey(key, extra)) removed = true;
    else kept.push(part);
  }
  // Untouched queries keep their exact bytes (even "a&&b"), so normalization never rewrites what it need not.
  return removed ? kept.join('&') : query;
}

/**
 * Canonical form of a link for deduplication: resolved against `base`, http(s) only, lower-case scheme and
 * host (punycode for IDN), no default port, no fragment, no tracking params, no empty trailing '?'.
 * The path is kept as is: servers may treat case and trailing slashes as distinct pages.
 * Returns null for unparsable or non-http(s) input (mailto:, javascript:, tel:, data:, ...).
 */
export function normalizeUrl(raw: string, base?: string, opts?: NormalizeOptions): string | null {
  let u: URL;
  try {
    u = base === undefined ? new URL(raw) : new URL(raw, base);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  let href = u.href;
  // '#' and '?' are percent-encoded everywhere before the fragment/query in a WHATWG href,
  // so their first occurrence is the delimiter.
  const hash = href.indexOf('#');
  if (hash >= 0) href = href.slice(0, hash);
  const q = href.indexOf('?');
  if (q < 0) return href;
  const query = stripQuery(href.slice(q + 1), opts?.stripParams);
  return query === '' ? href.slice(0, q) : `${href.slice(0, q + 1)}${query}`;
}

/** Stable key of a normalized URL for unique indexes (sha1 hex, 40 chars). One-shot hash(): a third of createHash's cost on a URL, and the crawl hashes ~46 links per page. */
export function urlHash(normalized: string): string {
  return hash('sha1', normalized, 'hex');
}

/**
 * The site's host: hostname plus a non-default port (so two local servers on different ports are
 * different sites), lower-cased, punycode. Null when the URL does not parse or is not http(s).
 */
export function siteHostOf(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.host;
  } catch {
    return null;
  }
}

export interface SameSiteOptions {
  /** Count every host of the site's registrable domain (public suffix list) as the same site: example.com, www. and blog. */
  subdomainsInternal?: boolean;
}

function splitHost(host: string): [hostname: string, port: string] {
  // IPv6 literals keep their brackets in `host`, so the port is after the last ']' if any.
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && colon > host.lastIndexOf(']')) return [host.slice(0, colon), host.slice(colon + 1)];
  return [host, ''];
}

// A run asks about one site host for every link: its registrable domain is computed once per host.
const siteDomains = new Map<string, string>();

/**
 * The registrable domain of a hostname by the public suffix list, private suffixes included (user.github.io is a
 * site of its own, shop.example.co.uk belongs to example.co.uk); the hostname itself for IPs, localhost and names
 * without a known suffix.
 */
export function registrableDomain(hostname: string): string {
  let d = siteDomains.get(hostname);
  if (d === undefined) {
    d = getDomain(hostname, { allowPrivateDomains: true, extractHostname: false }) ?? hostname;
    if (siteDomains.size > 1000) siteDomains.clear();
    siteDomains.set(hostname, d);
  }
  return d;
}

/**
 * Whether `url` belongs to the site `siteHost` (as returned by siteHostOf). Exact host equality, or with
 * `subdomainsInternal` any host under the site's registrable domain (public suffix list): www.example.com,
 * example.com and blog.example.com are one site then, example.co.uk and other.co.uk never are.
 */
export function isSameSite(url: string, siteHost: string, opts?: SameSiteOptions): boolean {
  const host = siteHostOf(url);
  if (host === null) return false;
  const site = siteHost.toLowerCase();
  if (host === site) return true;
  if (!opts?.subdomainsInternal) return false;
  const [hostname, port] = splitHost(host);
  const [siteHostname, sitePort] = splitHost(site);
  if (port !== sitePort) return false;
  // A host under a registrable domain has that domain as its own: a suffix test, no list lookup per URL.
  const domain = registrableDomain(siteHostname);
  return hostname === domain || hostname.endsWith(`.${domain}`);
}
