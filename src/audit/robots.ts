// robots.txt rules for the crawler and validity findings for the robots_txt_* checks.
// Matching (groups, longest match, Allow on ties, * and $) is robots-parser's, which follows google/robotstxt;
// validation follows Lighthouse's robots-txt audit so our verdicts agree with it.
import robotsParser from 'robots-parser';

export interface RobotsInvalidLine {
  /** 1-based line number. */
  line: number;
  /** The line as written (at most 200 chars). */
  text: string;
  reason: string;
}

export interface RobotsRules {
  /** HTTP status of the robots.txt response; null when it could not be fetched at all. */
  status: number | null;
  /** A 2xx response was read, so the rules below come from a real file. */
  found: boolean;
  /** 5xx, 429 or no response: Sitesweep crawls as if allowed but reports robots_txt_unreachable. */
  unreachable: boolean;
  /** Absolute http(s) sitemap URLs listed in the file, de-duplicated, in file order. */
  sitemaps: string[];
  /** Lines Lighthouse would flag (first MAX_INVALID_LINES of them). */
  invalidLines: RobotsInvalidLine[];
  /** Total number of invalid lines, also those left out of invalidLines. */
  invalidLineCount: number;
  /**
   * Whether `userAgent` may fetch `url`. URLs on another hostname are not governed by this file and are
   * allowed; scheme and port are not compared, so a robots.txt read after an http→https redirect still applies.
   */
  isAllowed(url: string, userAgent: string): boolean;
  /** Crawl-delay of the group that applies to `userAgent`, in ms; null when none (or not a number ≥ 0). */
  crawlDelayMs(userAgent: string): number | null;
}

/** Google stops reading robots.txt after 500 KiB; so do we, which also bounds the work on a huge or HTML file. */
const MAX_ROBOTS_CHARS = 500 * 1024;
const MAX_INVALID_LINES = 100;
const MAX_LINE_TEXT = 200;
/** isAllowed answers remembered per parsed robots.txt (a few hundred KB at most). */
const MAX_REMEMBERED_ANSWERS = 2048;

const ALLOWED_DIRECTIVES: ReadonlySet<string> = new Set([
  'user-agent', 'allow', 'disallow', 'sitemap', 'crawl-delay', 'clean-param', 'host', 'request-rate',
  'visit-time', 'noindex', 'content-signal',
]);
const SITEMAP_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:', 'ftp:']);

/** Rules are matched on path only, so every URL is rebased onto this one origin. */
const RULES_ORIGIN = 'http://robots.invalid';

/**
 * The product token robots.txt groups are matched against: "Sitesweep/0.1 (+https://…)" → "Sitesweep".
 * google/robotstxt takes the leading [A-Za-z_-] run; digits are allowed too so names like "360Spider" work.
 */
export function robotsUserAgentToken(userAgent: string): string {
  const m = /^[A-Za-z0-9_-]+/.exec(userAgent.trim());
  return m ? m[0] : '*';
}

interface ParsedLine {
  directive: string;
  value: string;
}

/** Lighthouse's per-line check: returns the parsed directive, null for blank/comment lines, or a reason string. */
function checkLine(line: string): ParsedLine | null | string {
  const hashAt = line.indexOf('#');
  const content = (hashAt >= 0 ? line.slice(0, hashAt) : line).trim();
  if (content === '') return null;
  const colon = content.indexOf(':');
  if (colon < 0) return 'Syntax not understood';
  const directive = content.slice(0, colon).trim().toLowerCase();
  const value = content.slice(colon + 1).trim();
  if (!ALLOWED_DIRECTIVES.has(directive)) return 'Unknown directive';
  switch (directive) {
    case 'user-agent':
      if (value === '') return 'No user-agent specified';
      break;
    case 'sitemap': {
      let u: URL;
      try {
        u = new URL(value);
      } catch {
        return 'Invalid sitemap URL';
      }
      if (!SITEMAP_PROTOCOLS.has(u.protocol)) return 'Invalid sitemap URL protocol';
      break;
    }
    case 'allow':
    case 'disallow':
      if (value !== '' && value[0] !== '/' && value[0] !== '*') return 'Pattern should either be empty, start with "/" or "*"';
      if (value.includes('$') && value.indexOf('$') !== value.length - 1) return '"$" should be used only at the end of the pattern';
      break;
  }
  return { directive, value };
}

interface Validation {
  invalid: RobotsInvalidLine[];
  invalidCount: number;
  sitemaps: string[];
}

function validate(text: string): Validation {
  const invalid: RobotsInvalidLine[] = [];
  let invalidCount = 0;
  const sitemaps: string[] = [];
  const seenSitemaps = new Set<string>();
  let inGroup = false;
  const report = (index: number, line: string, reason: string): void => {
    invalidCount++;
    if (invalid.length < MAX_INVALID_LINES) invalid.push({ line: index + 1, text: line.slice(0, MAX_LINE_TEXT), reason });
  };
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const parsed = checkLine(lines[i]);
    if (parsed === null) continue;
    if (typeof parsed === 'string') {
      report(i, lines[i], parsed);
      continue;
    }
    if (parsed.directive === 'user-agent') inGroup = true;
    else if (!inGroup && (parsed.directive === 'allow' || parsed.directive === 'disallow')) {
      report(i, lines[i], 'No user-agent specified');
    } else if (parsed.directive === 'sitemap' && /^https?:/i.test(parsed.value)) {
      // Only http(s) sitemaps are fetchable by us; ftp ones are valid for Lighthouse but skipped here.
      const href = new URL(parsed.value).href;
      if (!seenSitemaps.has(href)) {
        seenSitemaps.add(href);
        sitemaps.push(href);
      }
    }
  }
  return { invalid, invalidCount, sitemaps };
}

function hostnameOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

function allowAll(status: number | null, unreachable: boolean): RobotsRules {
  return {
    status,
    found: false,
    unreachable,
    sitemaps: [],
    invalidLines: [],
    invalidLineCount: 0,
    isAllowed: () => true,
    crawlDelayMs: () => null,
  };
}

/**
 * Rules from a robots.txt response. `status` null means no response (DNS, connection, timeout).
 * 2xx: the file's rules. 3xx (redirects exhausted) and 4xx except 429: no file, everything allowed.
 * 429, 5xx, no response: Google would stop crawling; Sitesweep allows all and flags `unreachable` instead,
 * because an audit that finds nothing is worse than one that crawls politely and reports the problem.
 */
export function parseRobots(robotsUrl: string, text: string | null, status: number | null): RobotsRules {
  if (status === null || status === 429 || status >= 500 || status < 200) return allowAll(status, true);
  if (status >= 300) return allowAll(status, false);

  let body = text ?? '';
  if (body.length > MAX_ROBOTS_CHARS) body = body.slice(0, MAX_ROBOTS_CHARS);
  // A UTF-8 BOM would glue itself to the first directive name and hide the first group.
  if (body.charCodeAt(0) === 0xfeff) body = body.slice(1);

  const { invalid, invalidCount, sitemaps } = validate(body);
  const robots = robotsParser(`${RULES_ORIGIN}/robots.txt`, body);
  const siteHostname = hostnameOf(robotsUrl);
  const tokens = new Map<string, string>();
  const tokenOf = (ua: string): string => {
    let t = tokens.get(ua);
    if (t === undefined) {
      t = robotsUserAgentToken(ua);
      tokens.set(ua, t);
    }
    return t;
  };

  const decide = (url: string, userAgent: string): boolean => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return true;
    }
    if (siteHostname !== null && u.hostname !== siteHostname) return true;
    // robots-parser falls back from the token's group to '*' itself.
    return robots.isAllowed(`${RULES_ORIGIN}${u.pathname}${u.search}`, tokenOf(userAgent)) !== false;
  };
  const answers = new Map<string, boolean>();

  return {
    status,
    found: true,
    unreachable: false,
    sitemaps,
    invalidLines: invalid,
    invalidLineCount: invalidCount,
    isAllowed(url: string, userAgent: string): boolean {
      // Every page asks about its scripts, styles and images, mostly the same few URLs site-wide: those are answered
      // from a bounded memo instead of parsing each URL twice more (here and in robots-parser) on every page.
      const key = `${userAgent}\n${url}`;
      const known = answers.get(key);
      if (known !== undefined) return known;
      const allowed = decide(url, userAgent);
      if (answers.size >= MAX_REMEMBERED_ANSWERS) answers.clear();
      answers.set(key, allowed);
      return allowed;
    },
    crawlDelayMs(userAgent: string): number | null {
      const seconds = robots.getCrawlDelay(tokenOf(userAgent));
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return null;
      return Math.round(seconds * 1000);
    },
  };
}
