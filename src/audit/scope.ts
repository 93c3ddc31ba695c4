// Which discovered URLs a run crawls: same site, user include/exclude regexes, depth limit.
import { isSameSite } from './url';

/** 'too_deep' only when a depth is passed to reason()/inScope(). */
export type ScopeReason = 'ok' | 'external' | 'excluded' | 'not_included' | 'too_deep';

export interface ScopeOptions {
  /** As returned by siteHostOf (host with a non-default port). */
  siteHost: string;
  /** Regular-expression sources; when non-empty a URL must match one of them. */
  include?: string[];
  /** Regular-expression sources; a match excludes the URL even when it is included. */
  exclude?: string[];
  subdomainsInternal?: boolean;
  /** Largest link depth crawled (the start URL is depth 0). */
  maxDepth: number;
}

export interface Scope {
  readonly maxDepth: number;
  /** `url` must already be normalized (normalizeUrl): patterns are matched against that exact string. */
  inScope(url: string, depth?: number): boolean;
  reason(url: string, depth?: number): ScopeReason;
}

/** Longer patterns are refused: user regexes run against every discovered URL, and length is a cheap bound. */
export const MAX_PATTERN_LENGTH = 500;

/** A user pattern that cannot be used; `pattern` names it so the API can answer 400 with it. */
export class InvalidPatternError extends Error {
  constructor(readonly pattern: string, readonly problem: string) {
    super(`Invalid URL pattern ${JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern)}: ${problem}`);
    this.name = 'InvalidPatternError';
  }
}

/**
 * Compiles include/exclude sources. No flags: a /g or /y RegExp would keep lastIndex between URLs, and
 * case-sensitive matching is what users of Screaming Frog-style URL regexes expect.
 */
export function compilePatterns(patterns: readonly string[] | undefined): RegExp[] {
  if (!patterns) return [];
  return patterns.map((p) => {
    if (typeof p !== 'string') throw new InvalidPatternError(String(p), 'not a string');
    // An empty pattern matches every URL: as an exclude it would silently empty the crawl.
    if (p.trim() === '') throw new InvalidPatternError(p, 'empty pattern');
    if (p.length > MAX_PATTERN_LENGTH) throw new InvalidPatternError(p, `longer than ${MAX_PATTERN_LENGTH} characters`);
    try {
      return new RegExp(p);
    } catch (err) {
      throw new InvalidPatternError(p, err instanceof Error ? err.message : String(err));
    }
  });
}

export function createScope(opts: ScopeOptions): Scope {
  // Compiled once per scope, up front, so a bad pattern fails the run's start rather than its first page.
  const include = compilePatterns(opts.include);
  const exclude = compilePatterns(opts.exclude);
  const siteHost = opts.siteHost.toLowerCase();
  const sameSiteOpts = { subdomainsInternal: opts.subdomainsInternal === true };
  const maxDepth = opts.maxDepth;

  const reason = (url: string, depth?: number): ScopeReason => {
    if (!isSameSite(url, siteHost, sameSiteOpts)) return 'external';
    for (const re of exclude) if (re.test(url)) return 'excluded';
    if (include.length > 0 && !include.some((re) => re.test(url))) return 'not_included';
    if (depth !== undefined && depth > maxDepth) return 'too_deep';
    return 'ok';
  };

  return {
    maxDepth,
    reason,
    inScope: (url, depth) => reason(url, depth) === 'ok',
  };
}
