// The audit activity: fetch, parse and check a batch of URLs. It heartbeats after every page with the records done so
// far, so a retry (another worker, after this one died) resumes where the last heartbeat left off.
import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import pLimit from 'p-limit';
import { analyzePage } from '../audit/analyzePage';
import { failedPageRecord } from '../audit/records';
import { robotsUserAgentToken } from '../audit/robots';
import { normalizeUrl, siteHostOf, urlHash } from '../audit/url';
import { headersFor } from '../crawl/credentials';
import type { FetchResult } from '../crawl/fetcher';
import type { HostLimits } from '../crawl/politeness';
import { auditPageSeconds, pageFailuresTotal, pagesAuditedTotal } from '../metrics';
import type { ActivityDeps } from './deps';
import { loadRunContext, type RunContext } from './runContext';
import type { AuditBatchInput, AuditBatchResult, ClaimedUrl, LinkRecord, PageRecord } from './types';

/** Heartbeat details: one slot per URL of the batch, null until that URL is done. */
export interface AuditHeartbeat {
  claimToken: string;
  records: Array<PageRecord | null>;
}

const MAX_LINKS_PER_PAGE = 1_000;
const MAX_EXTERNAL_PER_PAGE = 200;

/** Request headers from the run's sealed credentials; a worker without the key fails the batch for good. */
export function runHeaders(options: { sealedCredentials?: string }, secretsKey: string | undefined): Record<string, string> {
  try {
    return headersFor(options.sealedCredentials, secretsKey);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot open the run's credentials: ${(err as Error).message}`, 'InvalidInput');
  }
}
/** A robots.txt Crawl-delay beyond this is capped (a hostile robots.txt must not stall the worker for hours). */
const MAX_CRAWL_DELAY_MS = 60_000;

function hostKey(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function createAuditActivities(deps: ActivityDeps) {
  const { fetcher, crawl, log } = deps;

  async function auditOne(u: ClaimedUrl, input: AuditBatchInput, run: RunContext, signal: AbortSignal, limits: HostLimits): Promise<PageRecord> {
    const { options } = input;
    if (options.respectRobots && !run.robots.isAllowed(u.url, options.userAgent)) {
      return failedPageRecord(u, 'robots_disallowed', 'Disallowed by robots.txt', 0);
    }
    // The process-wide per-host gate: concurrency and crawl delay hold across every batch (and run) of this worker.
    const res: FetchResult = await deps.politeness.run(hostKey(u.url), limits, () => fetcher.fetchPage(u.url, {
      timeoutMs: options.requestTimeoutMs,
      maxBytes: crawl.maxBytes,
      maxRedirects: crawl.maxRedirects,
      userAgent: options.userAgent,
      retries: options.fetchRetries,
      retryBaseMs: options.fetchRetryBaseMs,
      retryMaxMs: 30_000,
      signal,
      accept: 'html',
      headers: runHeaders(options, crawl.secretsKey),
    }), signal);
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
    // External targets are kept (capped) only when the run checks them after the crawl.
    const external: Array<{ url: string; text: string }> | undefined = options.checkExternalLinks ? [] : undefined;
    const strip = options.stripParams?.length ? { stripParams: options.stripParams } : undefined;
    const seenLinks = new Set<string>();
    for (const l of analysis.outlinks) {
      if (!l.internal) {
        externalLinks++;
        if (external && external.length < MAX_EXTERNAL_PER_PAGE) external.push({ url: l.url, text: l.text });
        continue;
      }
      // Configured tracking params are stripped here, so two links differing only by them are one URL.
      const url = strip ? (normalizeUrl(l.url, undefined, strip) ?? l.url) : l.url;
      if (seenLinks.has(url)) continue;
      seenLinks.add(url);
      if (links.length < MAX_LINKS_PER_PAGE) links.push({ url, urlHash: urlHash(url), text: l.text, nofollow: l.nofollow });
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
      data: { hreflang: analysis.hreflang, jsonLdTypes: analysis.jsonLdTypes, externalLinks, imageCount: analysis.imageCount, ...(external ? { external } : {}) },
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
      const crawlDelayMs = Math.min(
        MAX_CRAWL_DELAY_MS,
        Math.max(input.options.crawlDelayMs ?? 0, input.options.respectRobots ? run.robots.crawlDelayMs(input.options.userAgent) ?? 0 : 0),
      );
      // With a crawl delay the host gets one request at a time, spaced by the delay; otherwise up to perHostConcurrency.
      const concurrency = crawlDelayMs > 0 ? 1 : Math.max(1, input.options.perHostConcurrency);
      const limits: HostLimits = { concurrency, minSpacingMs: crawlDelayMs };
      const limit = pLimit(concurrency);
      const signal = ctx.cancellationSignal;
      // Many pages share one cancellation signal (one abort listener each).
      setMaxListeners(0, ctx.cancellationSignal);
      let lastBeat = 0;
      const beat = () => {
        lastBeat = Date.now();
        ctx.heartbeat({ claimToken: input.claimToken, records } satisfies AuditHeartbeat);
      };
      // Pages may wait in the shared gate behind other batches of the host for longer than the heartbeat timeout:
      // keep heartbeating (same details) while the batch is alive. A dead process stops these too.
      const keepAlive = setInterval(beat, Math.max(500, Math.min(10_000, (ctx.info.heartbeatTimeoutMs ?? 30_000) / 3)));
      try {
        await Promise.all(
          input.urls.map((u, i) =>
            limit(async () => {
              if (records[i]) return;
              const endTimer = auditPageSeconds.startTimer();
              const rec = await auditOne(u, input, run, signal, limits);
              endTimer();
              records[i] = rec;
              if (rec.status === 'ok') pagesAuditedTotal.inc();
              else pageFailuresTotal.inc({ reason: rec.failureReason ?? 'unknown' });
              // The SDK encodes every heartbeat's details before throttling them, and they grow with the batch:
              // at most one per second (the keep-alive and the result cover the rest).
              if (Date.now() - lastBeat >= 1_000) beat();
            }),
          ),
        );
      } finally {
        clearInterval(keepAlive);
      }
      return { records: records as PageRecord[], resumedFrom };
    },
  };
}
