// The audit activity: fetch, parse and check a batch of URLs. It heartbeats after every page with the records done so
// far, so a retry (another worker, after this one died) resumes where the last heartbeat left off.
import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { analyzePage } from '../audit/analyzePage';
import { failedPageRecord } from '../audit/records';
import { robotsUserAgentToken } from '../audit/robots';
import { normalizeUrl, siteHostOf, urlHash } from '../audit/url';
import type { FetchResult } from '../crawl/fetcher';
import type { ActivityDeps } from './deps';
import { loadRunContext, type RunContext } from './runContext';
import type { AuditBatchInput, AuditBatchResult, ClaimedUrl, LinkRecord, PageRecord } from './types';

/** Heartbeat details: one slot per URL of the batch, null until that URL is done. */
export interface AuditHeartbeat {
  claimToken: string;
  records: Array<PageRecord | null>;
}

const MAX_LINKS_PER_PAGE = 1_000;

export function createAuditActivities(deps: ActivityDeps) {
  const { fetcher, crawl, log } = deps;

  async function auditOne(u: ClaimedUrl, input: AuditBatchInput, run: RunContext, signal: AbortSignal): Promise<PageRecord> {
    const { options } = input;
    if (options.respectRobots && !run.robots.isAllowed(u.url, options.userAgent)) {
      return failedPageRecord(u, 'robots_disallowed', 'Disallowed by robots.txt', 0);
    }
    const res: FetchResult = await fetcher.fetchPage(u.url, {
      timeoutMs: options.requestTimeoutMs,
      maxBytes: crawl.maxBytes,
      maxRedirects: crawl.maxRedirects,
      userAgent: options.userAgent,
      retries: options.fetchRetries,
      retryBaseMs: options.fetchRetryBaseMs,
      retryMaxMs: 30_000,
      signal,
      accept: 'html',
    });
    if (res.failureReason && res.statusCode === 0) {
      return failedPageRecord(u, res.failureReason, res.failureDetail ?? res.failureReason, res.attempts);
    }
    const redirected = res.redirectChain.length > 0;
    const isHtml = /^(text\/html|application\/xhtml\+xml)/i.test(res.contentType ?? 'text/html');
    if (!redirected && !isHtml && !res.failureReason && res.statusCode >= 200 && res.statusCode < 300) {
      return failedPageRecord(u, 'not_html', `Content-Type ${res.contentType}`, res.attempts);
    }
    // A redirecting URL is reported as the redirect (status, chain); its target's content is audited as its own page.
    const analysis = analyzePage(redirected ? { ...res, body: null } : res, {
      thresholds: options.thresholds,
      siteHost: run.siteHost,
      subdomainsInternal: options.subdomainsInternal,
      userAgentToken: robotsUserAgentToken(options.userAgent),
    });
    const links: LinkRecord[] = [];
    let externalLinks = 0;
    for (const l of analysis.outlinks) {
      if (!l.internal) {
        externalLinks++;
        continue;
      }
      if (links.length < MAX_LINKS_PER_PAGE) links.push({ url: l.url, urlHash: urlHash(l.url), text: l.text, nofollow: l.nofollow });
    }
    // A redirect's target is a page of the site too: follow it like a link.
    if (res.finalUrl !== u.url && res.redirectChain.length > 0) {
      const target = normalizeUrl(res.finalUrl);
      if (target && siteHostOf(target) === run.siteHost) links.push({ url: target, urlHash: urlHash(target), text: '', nofollow: false });
    }
    return {
      url: u.url,
      urlHash: u.urlHash,
      depth: u.depth,
      status: res.failureReason ? 'failed' : 'ok',
      statusCode: redirected ? res.redirectChain[0].status : res.statusCode || null,
      finalUrl: res.finalUrl,
      contentType: res.contentType,
      ttfbMs: Math.round(res.ttfbMs),
      durationMs: Math.round(res.durationMs),
      bytes: res.bytes,
      redirectChain: res.redirectChain,
      title: analysis.title,
      description: analysis.description,
      h1: analysis.h1,
      h1Count: analysis.h1Count,
      canonical: analysis.canonical,
      indexable: redirected ? false : analysis.indexable,
      noindex: analysis.noindex,
      wordCount: analysis.wordCount,
      lang: analysis.lang,
      contentHash: analysis.contentHash,
      simhash: analysis.simhash,
      issues: analysis.findings,
      data: { hreflang: analysis.hreflang, jsonLdTypes: analysis.jsonLdTypes, externalLinks, imageCount: analysis.imageCount },
      failureReason: res.failureReason,
      failureDetail: res.failureDetail ?? null,
      attempts: res.attempts,
      links,
    };
  }

  return {
    async auditBatch(input: AuditBatchInput): Promise<AuditBatchResult> {
      const ctx = Context.current();
      const prior = ctx.info.heartbeatDetails as AuditHeartbeat | undefined;
      const records: Array<PageRecord | null> =
        prior && prior.claimToken === input.claimToken && prior.records.length === input.urls.length
          ? prior.records
          : input.urls.map(() => null);
      const resumedFrom = records.filter(Boolean).length;
      if (resumedFrom > 0) log.info({ claimToken: input.claimToken, resumedFrom, attempt: ctx.info.attempt }, 'resuming audit batch from heartbeat');

      const run = await loadRunContext(deps, input.runId);
      const crawlDelayMs = Math.max(input.options.crawlDelayMs ?? 0, input.options.respectRobots ? run.robots.crawlDelayMs(input.options.userAgent) ?? 0 : 0);
      // With a crawl delay the batch goes one page at a time; otherwise up to perHostConcurrency at once.
      const limit = pLimit(crawlDelayMs > 0 ? 1 : Math.max(1, input.options.perHostConcurrency));
      const signal = ctx.cancellationSignal;
      await Promise.all(
        input.urls.map((u, i) =>
          limit(async () => {
            if (records[i]) return;
            if (crawlDelayMs > 0) await ctx.sleep(crawlDelayMs);
            records[i] = await auditOne(u, input, run, signal);
            ctx.heartbeat({ claimToken: input.claimToken, records } satisfies AuditHeartbeat);
          }),
        ),
      );
      return { records: records as PageRecord[], resumedFrom };
    },
  };
}
