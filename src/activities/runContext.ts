// Per-run facts every audit batch needs (robots rules, site host), loaded once per worker process and cached, and the
// fetch settings every request of a run shares.
import { ApplicationFailure } from '@temporalio/common';
import { parseRobots, type RobotsRules } from '../audit/robots';
import { siteHostOf } from '../audit/url';
import type { Config } from '../config';
import { headersFor } from '../crawl/credentials';
import type { FetchOptions } from '../crawl/fetcher';
import { runRobots } from '../db/repositories/runs';
import type { SiteAuditOptions } from '../workflows/contracts';
import type { ActivityDeps } from './deps';

export interface RunContext {
  siteHost: string;
  robots: RobotsRules;
}

const cache = new Map<string, { ctx: RunContext; at: number }>();
const TTL_MS = 10 * 60_000;

export async function loadRunContext({ db }: Pick<ActivityDeps, 'db'>, runId: string): Promise<RunContext> {
  const hit = cache.get(runId);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.ctx;
  const row = await runRobots(db, runId);
  if (!row) throw new Error(`run ${runId} not found`);
  const siteHost = siteHostOf(row.site_url) ?? '';
  const robotsUrl = new URL('/robots.txt', row.site_url).toString();
  const ctx: RunContext = { siteHost, robots: parseRobots(robotsUrl, row.robots_txt, row.robots_status) };
  if (cache.size > 500) cache.clear();
  cache.set(runId, { ctx, at: Date.now() });
  return ctx;
}

/** Forget a run's cached context (discovery just stored a new robots.txt). */
export function forgetRunContext(runId: string): void {
  cache.delete(runId);
}

/** Request headers from the run's sealed credentials; a worker without the key fails the activity for good. */
export function runHeaders(options: { sealedCredentials?: string }, secretsKey: string | undefined): Record<string, string> {
  try {
    return headersFor(options.sealedCredentials, secretsKey);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot open the run's credentials: ${(err as Error).message}`, 'InvalidInput');
  }
}

/**
 * The fetch options a run's requests to its site share (pages, robots.txt and sitemaps, image sizes): the run's timeout,
 * retries and user agent, the worker's body and redirect caps, the activity's cancellation, and the headers the caller
 * chose (credentials go to the audited site only, which the caller decides per URL). Callers add `accept` and override
 * what differs (a smaller timeout, another size cap).
 */
export function crawlFetchOptions(
  options: Pick<SiteAuditOptions, 'requestTimeoutMs' | 'userAgent' | 'fetchRetries' | 'fetchRetryBaseMs'>,
  crawl: Pick<Config['crawl'], 'maxBytes' | 'maxRedirects'>,
  signal: AbortSignal,
  headers: Record<string, string>,
): FetchOptions {
  return {
    timeoutMs: options.requestTimeoutMs,
    maxBytes: crawl.maxBytes,
    maxRedirects: crawl.maxRedirects,
    userAgent: options.userAgent,
    retries: options.fetchRetries,
    retryBaseMs: options.fetchRetryBaseMs,
    retryMaxMs: 30_000,
    signal,
    headers,
  };
}
