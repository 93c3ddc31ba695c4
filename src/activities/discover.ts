// Discovery: robots.txt (rules, Crawl-delay, Sitemap lines), sitemaps (indexes and .xml.gz too), and the seed URL.
import { gunzipSync } from 'node:zlib';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { parseRobots } from '../audit/robots';
import { hostKey, runHostLimits, siteHostLimits, type HostLimits } from '../crawl/politeness';
import { createScope } from '../audit/scope';
import { isGzip, parseSitemap } from '../audit/sitemap';
import { normalizeUrl, siteHostOf, urlHash } from '../audit/url';
import * as runStatus from '../db/runStatusStore';
import * as runs from '../db/repositories/runs';
import type { ActivityDeps } from './deps';
import { enqueue, lockRun, type FrontierCandidate } from './frontier';
import { crawlFetchOptions, forgetRunContext, runHeaders } from './runContext';
import type { DiscoverInput, DiscoverResult } from './types';

const MAX_SITEMAPS = 50;
const MAX_SITEMAP_BYTES = 50 * 1024 * 1024;
/** URLs kept for the sitemap_multiple finding (the run row holds them). */
const MAX_SITEMAP_DUPLICATES = 10_000;

export function createDiscoverActivities(deps: ActivityDeps) {
  const { db, fetcher, crawl, log } = deps;

  // robots.txt and sitemaps go through the same per-host gate as the pages (every hop, shared by all workers).
  async function fetchBody(url: string, input: DiscoverInput, maxBytes: number, limits: HostLimits) {
    return deps.politeness.run(hostKey(url), limits, () => fetcher.fetchPage(url, {
      // Credentials go to the audited site only, never to a sitemap host elsewhere.
      ...crawlFetchOptions(input.options, crawl, Context.current().cancellationSignal,
        siteHostOf(url) === siteHostOf(input.siteUrl) ? runHeaders(input.options, crawl.secretsKey) : {}),
      maxBytes,
      accept: 'any',
    }), Context.current().cancellationSignal);
  }

  return {
    async discover(input: DiscoverInput): Promise<DiscoverResult> {
      const ctx = Context.current();
      const seed = normalizeUrl(input.siteUrl);
      const siteHost = seed ? siteHostOf(seed) : null;
      if (!seed || !siteHost) throw ApplicationFailure.nonRetryable(`Not an http(s) URL: ${input.siteUrl}`, 'InvalidInput');
      const { options } = input;
      const scope = createScope({ siteHost, include: options.include, exclude: options.exclude, subdomainsInternal: options.subdomainsInternal, maxDepth: options.maxDepth });

      const robotsUrl = new URL('/robots.txt', seed).toString();
      // Before robots.txt is read only the run's own crawl delay is known; after it, its Crawl-delay counts too.
      const robotsRes = await fetchBody(robotsUrl, input, 512 * 1024, runHostLimits(options.perHostConcurrency, options.crawlDelayMs ?? 0));
      const robotsStatus = robotsRes.statusCode || null;
      const robotsText = robotsRes.statusCode >= 200 && robotsRes.statusCode < 300 && robotsRes.rawBody ? robotsRes.rawBody.toString('utf8') : null;
      const robots = parseRobots(robotsUrl, robotsText, robotsStatus);
      await runs.storeRobots(db, input.runId, robotsText, robotsStatus);
      forgetRunContext(input.runId);
      const limits = siteHostLimits(options, robots);
      ctx.heartbeat('robots');

      const candidates: FrontierCandidate[] = [{ url: seed, urlHash: urlHash(seed), depth: 0, source: 'seed', inSitemap: false }];
      let sitemapsFetched = 0;
      let sitemapUrls = 0;
      // Which sitemap listed each URL first (index into `listing`), and every sitemap of the URLs listed more than once.
      const listing: string[] = [];
      const firstListedIn = new Map<string, number>();
      const listedIn = new Map<string, Set<number>>();
      if (options.useSitemaps) {
        const queue = [...new Set([...robots.sitemaps, new URL('/sitemap.xml', seed).toString(), ...(options.sitemaps ?? [])])];
        const seen = new Set<string>();
        while (queue.length > 0 && seen.size < MAX_SITEMAPS) {
          const sm = queue.shift()!;
          if (seen.has(sm)) continue;
          seen.add(sm);
          const res = await fetchBody(sm, input, MAX_SITEMAP_BYTES, limits);
          ctx.heartbeat(`sitemap ${seen.size}`);
          if (res.statusCode < 200 || res.statusCode >= 300 || !res.rawBody) continue;
          let buf = res.rawBody;
          if (isGzip(buf)) {
            try {
              buf = gunzipSync(buf, { maxOutputLength: MAX_SITEMAP_BYTES });
            } catch (err) {
              log.warn({ sitemap: sm, err: String(err) }, 'sitemap gunzip failed');
              continue;
            }
          }
          sitemapsFetched++;
          const sitemapIndex = listing.push(sm) - 1;
          const parsed = parseSitemap(buf.toString('utf8'));
          for (const child of parsed.sitemaps) {
            const n = normalizeUrl(child, sm);
            if (n) queue.push(n);
          }
          for (const entry of parsed.urls) {
            const n = normalizeUrl(entry.loc, sm, options.stripParams?.length ? { stripParams: options.stripParams } : undefined);
            if (!n || !scope.inScope(n)) continue;
            sitemapUrls++;
            const first = firstListedIn.get(n);
            if (first === undefined) firstListedIn.set(n, sitemapIndex);
            else if (first !== sitemapIndex) {
              let set = listedIn.get(n);
              if (!set) listedIn.set(n, (set = new Set([first])));
              set.add(sitemapIndex);
            }
            candidates.push({ url: n, urlHash: urlHash(n), depth: 1, source: 'sitemap', inSitemap: true });
          }
        }
      }
      // The seed is itself in a sitemap when listed there.
      if (candidates.slice(1).some((c) => c.urlHash === candidates[0].urlHash)) candidates[0].inSitemap = true;

      const duplicates = [...listedIn].slice(0, MAX_SITEMAP_DUPLICATES).map(([url, ids]) => ({ url, sitemaps: [...ids].map((i) => listing[i]) }));
      await runs.storeSitemapDuplicates(db, input.runId, duplicates);

      const discovered = await db.transaction(async (tx) => {
        await lockRun(tx, input.runId);
        await enqueue(tx, input.runId, candidates, options.maxPages);
        await runStatus.markAuditing(tx, input.runId);
        return runs.discoveredCount(tx, input.runId);
      });
      log.info({ runId: input.runId, discovered, sitemapsFetched, sitemapUrls, robotsStatus }, 'discovery done');
      return { discovered, robotsStatus, sitemapsFetched, sitemapUrls };
    },
  };
}
