// Shared data shapes of the pure audit layer. No I/O here: these are plain JSON-able values.

export type Severity = 'critical' | 'warning' | 'notice';

export type CheckCategory =
  | 'response' | 'indexability' | 'title' | 'description' | 'headings' | 'content' | 'html'
  | 'canonical' | 'hreflang' | 'images' | 'links' | 'url' | 'security' | 'structured_data'
  | 'crawl' | 'sitemap';

/** One finding on one page: a stable check code, its severity and an optional short detail ("72 chars"). */
export interface Finding {
  code: string;
  severity: Severity;
  detail?: string;
}

export interface RedirectHop {
  url: string;
  status: number;
}

/** What the fetcher hands the checks: the final response of a URL after redirects were followed by hand. */
export interface FetchedPage {
  /** The URL that was requested (normalized). */
  url: string;
  /** The URL of the final response, after redirects. */
  finalUrl: string;
  /** Status of the final response (0 when there was none). */
  statusCode: number;
  /** Final response headers, names lower-cased, repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Each hop before the final response, in order. */
  redirectChain: RedirectHop[];
  contentType: string | null;
  /** Decoded body size in bytes (after decompression). */
  bytes: number;
  /** Time to the first byte of the final response's headers. */
  ttfbMs: number;
  /** Whole fetch, all hops. */
  durationMs: number;
  /** Body as text when it is HTML (or text) and under the size cap; otherwise null. */
  body: string | null;
}

export interface Outlink {
  /** Absolute, normalized URL (fragment dropped). */
  url: string;
  /** Anchor text, whitespace-collapsed, at most 200 chars. */
  text: string;
  nofollow: boolean;
  /** Same site as the page (same host, or a subdomain when subdomains count as internal). */
  internal: boolean;
}

export interface HreflangLink {
  lang: string;
  /** Absolute URL. */
  href: string;
}
