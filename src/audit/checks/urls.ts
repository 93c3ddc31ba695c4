// Small URL helpers for the checks. Normalization itself is url.ts's, so canonicals, hreflang targets and
// outlinks compare equal to the frontier's URLs.
import { normalizeUrl } from '../url';

const SCHEME = /^\s*[a-z][a-z0-9+.-]*:/i;

/** Whether `raw` carries its own scheme ("//host/x" does not: it depends on the page's scheme). */
export function isAbsoluteUrl(raw: string): boolean {
  return SCHEME.test(raw);
}

/** The document's base URL: <base href> resolved against the final URL, else the final URL. */
export function documentBase(baseHref: string | null, finalUrl: string): string {
  if (baseHref !== null && baseHref.trim() !== '') {
    try {
      return new URL(baseHref.trim(), finalUrl).href;
    } catch {
      // an unparsable <base href> is ignored by browsers too
    }
  }
  return finalUrl;
}

export function normalize(raw: string, base?: string): string | null {
  return normalizeUrl(raw.trim(), base);
}

/** Host (with port) of a normalized http(s) href, without parsing it again. */
export function hostOfHref(href: string): string {
  const start = href.indexOf('//') + 2;
  let end = href.indexOf('/', start);
  if (end < 0) end = href.length;
  const authority = href.slice(start, end);
  const at = authority.lastIndexOf('@');
  return at < 0 ? authority : authority.slice(at + 1);
}

/** Hostname (no port, IPv6 brackets kept) of a host string. */
export function hostnameOf(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon >= 0 && colon > host.lastIndexOf(']') ? host.slice(0, colon) : host;
}

/** localhost, *.localhost, 127.0.0.0/8, ::1 and 0.0.0.0: addresses that only mean "this machine". */
export function isLoopbackHost(host: string): boolean {
  const h = hostnameOf(host).toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '[::1]' || h === '0.0.0.0';
}
