// Checks on the HTTP exchange itself: status, redirects, timing, size, media type, URL shape, security
// headers. They need no body, so they run for every fetched page.
import type { Thresholds } from '../thresholds';
import type { FetchedPage } from '../types';
import type { PageFacts } from './extract';
import type { FindingSink } from './sink';

export function mediaTypeOf(page: FetchedPage): string {
  const ct = page.contentType ?? page.headers['content-type'] ?? '';
  const semi = ct.indexOf(';');
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

export function isHtmlMediaType(mime: string): boolean {
  return mime === 'text/html' || mime === 'application/xhtml+xml';
}

const HTML_START = /^\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i;

/** Whether a body starts like an HTML document, whatever its Content-Type says. */
export function looksLikeHtml(body: string): boolean {
  return HTML_START.test(body.length > 2048 ? body.slice(0, 2048) : body);
}

const isXml = (m: string): boolean => m === 'text/xml' || m === 'application/xml' || m.endsWith('+xml');
const isJs = (m: string): boolean => m === 'text/javascript' || m === 'application/javascript' || m === 'application/x-javascript' || m === 'application/ecmascript';

const html = isHtmlMediaType;
const is = (type: string) => (m: string): boolean => m === type;
/** What a URL extension promises. Extensions not listed say nothing about the type. */
const EXTENSION_TYPES = new Map<string, (mime: string) => boolean>([
  ['html', html], ['htm', html], ['shtml', html], ['xhtml', html], ['php', html], ['asp', html], ['aspx', html], ['jsp', html],
  ['pdf', is('application/pdf')], ['jpg', is('image/jpeg')], ['jpeg', is('image/jpeg')], ['png', is('image/png')],
  ['gif', is('image/gif')], ['webp', is('image/webp')], ['avif', is('image/avif')], ['svg', is('image/svg+xml')],
  ['css', is('text/css')], ['js', isJs], ['mjs', isJs], ['json', (m) => m === 'application/json' || m.endsWith('+json')],
  ['xml', isXml], ['rss', isXml], ['atom', isXml], ['txt', is('text/plain')],
  ['zip', (m) => m === 'application/zip' || m === 'application/x-zip-compressed'],
]);

function extensionOf(pathname: string): string | null {
  const slash = pathname.lastIndexOf('/');
  const dot = pathname.lastIndexOf('.');
  return dot > slash + 1 ? pathname.slice(dot + 1).toLowerCase() : null;
}

function parseUrl(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

const is2xx = (s: number): boolean => s >= 200 && s < 300;

export function checkResponse(sink: FindingSink, page: FetchedPage, t: Thresholds): void {
  const { statusCode, redirectChain } = page;
  const hops = redirectChain.length;

  if (hops > 0) sink.add('status_3xx', `${redirectChain[0].status} (${hops} ${hops === 1 ? 'hop' : 'hops'})`);
  else if (statusCode >= 300 && statusCode < 400) sink.add('status_3xx', `${statusCode}`);
  if (statusCode >= 400 && statusCode < 500) sink.add('status_4xx', `${statusCode}`);
  if (statusCode >= 500) sink.add('status_5xx', `${statusCode}`);
  if (hops > t.redirectChainMaxHops) sink.add('redirect_chain', `${hops} hops`);

  if (hops > 0) {
    // A URL seen twice along the chain: the fetcher either gave up on it or was bounced back (cookie walls).
    const seen = new Set<string>();
    const chain = [...redirectChain.map((h) => h.url), page.finalUrl];
    for (const u of chain) {
      const key = parseUrl(u)?.href.replace(/#.*$/, '') ?? u;
      if (seen.has(key)) {
        sink.add('redirect_loop', u);
        break;
      }
      seen.add(key);
    }
  }

  if (statusCode > 0 && page.ttfbMs > t.slowResponseMs) sink.add('slow_response', `${Math.round(page.ttfbMs)} ms`);
  if (page.bytes > t.maxPageBytes) sink.add('page_too_large', `${page.bytes} bytes`);

  const final = parseUrl(page.finalUrl);
  if (is2xx(statusCode)) {
    const mime = mediaTypeOf(page);
    if (mime === '') {
      if (page.bytes > 0 || page.body) sink.add('incorrect_media_type', 'no Content-Type');
    } else if (!isHtmlMediaType(mime) && page.body !== null && looksLikeHtml(page.body)) {
      sink.add('incorrect_media_type', `HTML served as ${mime}`);
    } else if (final) {
      const ext = extensionOf(final.pathname);
      const fits = ext === null ? undefined : EXTENSION_TYPES.get(ext);
      if (fits && !fits(mime)) sink.add('incorrect_media_type', `.${ext} served as ${mime}`);
    }
  }

  checkUrlShape(sink, page.url, t);

  if (final && final.protocol === 'http:' && statusCode > 0) sink.add('http_page');
  // Security headers of the final response are judged on that URL's own record, not on each redirect to it.
  if (is2xx(statusCode) && hops === 0) {
    const h = page.headers;
    if (final?.protocol === 'https:') {
      const hsts = h['strict-transport-security'];
      const maxAge = hsts ? /max-age\s*=\s*"?(\d+)/i.exec(hsts) : null;
      if (!maxAge || Number(maxAge[1]) <= 0) sink.add('missing_hsts', hsts ? 'no positive max-age' : undefined);
    }
    if ((h['x-content-type-options'] ?? '').split(',')[0].trim().toLowerCase() !== 'nosniff') sink.add('missing_nosniff');
  }
}

/** CSP can also come from a meta http-equiv, so the caller passes what the HTML said. */
export function checkCsp(sink: FindingSink, page: FetchedPage, cspMeta: boolean): void {
  if (!is2xx(page.statusCode)) return;
  const csp = page.headers['content-security-policy'];
  if ((csp === undefined || csp.trim() === '') && !cspMeta) sink.add('missing_csp');
}

/** URL hygiene of the requested URL. */
export function checkUrlShape(sink: FindingSink, url: string, t: Thresholds): void {
  if (url.length > t.urlMaxChars) sink.add('url_too_long', `${url.length} chars`);
  const u = parseUrl(url);
  if (!u) return;
  const path = u.pathname;
  if (path.includes('_')) sink.add('url_underscore');
  if (url.includes(' ') || path.includes('%20')) sink.add('url_space');
  if (path.includes('//')) sink.add('url_multiple_slashes');
  // Percent-escapes are upper-case by convention; only letters the author wrote count.
  if (/[A-Z]/.test(path.replace(/%[0-9A-Fa-f]{2}/g, ''))) sink.add('url_uppercase');
  if (u.search.length > 1) sink.add('url_query_params', `${u.search.slice(1).split('&').filter(Boolean).length} params`);
  checkUrlNonAscii(sink, u);
  checkUrlRepetitivePath(sink, path);
  checkUrlInternalSearch(sink, u);
}

/** Non-ASCII characters in path or query (percent-encoded UTF-8 in the normalized URL; the host's IDN is the site's name). */
export function checkUrlNonAscii(sink: FindingSink, u: URL): void {
  const m = /%[89a-f][0-9a-f]/i.exec(u.pathname + u.search);
  if (m === null) return;
  let shown: string;
  try {
    shown = decodeURIComponent(u.pathname + u.search);
  } catch {
    shown = u.pathname + u.search;
  }
  sink.add('url_non_ascii', shown);
}

/**
 * A path segment, or a run of segments, repeated right after itself (/shop/shop/, /a/b/a/b/): the mark of relative
 * links resolving against the wrong directory, which spawn endless URL variants. Numeric segments (/2024/01/01/) are
 * dates and pages, not repeats.
 */
export function checkUrlRepetitivePath(sink: FindingSink, path: string): void {
  const segs = path.split('/').filter((x) => x !== '');
  for (let len = 1; len * 2 <= segs.length; len++) {
    for (let i = 0; i + 2 * len <= segs.length; i++) {
      let same = true;
      for (let k = 0; k < len && same; k++) same = segs[i + k] === segs[i + len + k];
      if (!same) continue;
      if (len === 1 && /^\d+$/.test(segs[i])) continue;
      sink.add('url_repetitive_path', `/${segs.slice(i, i + len).join('/')}/ repeated`);
      return;
    }
  }
}

/** Site-search result pages: crawlable endless variants of thin, duplicate listings. */
const SEARCH_KEYS = new Set(['q', 's', 'query', 'search', 'search_query', 'searchterm', 'keyword', 'keywords']);
const SEARCH_SEGMENTS = new Set(['search', 'suche', 'recherche', 'buscar', 'busca', 'ricerca', 'zoeken', 'searchresults', 'search-results']);

export function checkUrlInternalSearch(sink: FindingSink, u: URL): void {
  for (const seg of u.pathname.toLowerCase().split('/')) {
    if (SEARCH_SEGMENTS.has(seg)) {
      sink.add('url_internal_search', `path /${seg}`);
      return;
    }
  }
  if (u.search.length <= 1) return;
  for (const part of u.search.slice(1).split('&')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    // A search key with a value; "?s=" alone is an empty form, "?page=2&s=" is not a search either.
    if (SEARCH_KEYS.has(key) && eq >= 0 && eq < part.length - 1) {
      sink.add('url_internal_search', `param ${key}`);
      return;
    }
  }
}

/** Clickjacking protection: X-Frame-Options, or CSP frame-ancestors (only the header form counts; meta CSP cannot). */
export function checkFrameOptions(sink: FindingSink, page: FetchedPage): void {
  if (!is2xx(page.statusCode)) return;
  const xfo = (page.headers['x-frame-options'] ?? '').trim();
  if (xfo !== '') return;
  if (/(?:^|;)\s*frame-ancestors\s/i.test(page.headers['content-security-policy'] ?? '')) return;
  sink.add('missing_x_frame_options');
}

/** Referrer-Policy header or <meta name="referrer">. */
export function checkReferrerPolicy(sink: FindingSink, page: FetchedPage, f: PageFacts): void {
  if (!is2xx(page.statusCode)) return;
  if ((page.headers['referrer-policy'] ?? '').trim() !== '' || f.referrerMeta) return;
  sink.add('missing_referrer_policy');
}

/** Any form on a page served over plain http: what users type into it travels unencrypted. */
export function checkFormOnHttp(sink: FindingSink, f: PageFacts, https: boolean): void {
  if (!https && f.formCount > 0) sink.add('form_on_http', `${f.formCount} ${f.formCount === 1 ? 'form' : 'forms'}`);
}
