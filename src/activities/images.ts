// Optional image sizes (option checkImageSizes), after the crawl and before the summary: every distinct same-site image
// URL the audited pages show (<img src>, srcset candidates, CSS backgrounds: analyzePage.images) is sized once per run. HEAD first (Content-Length); when HEAD gives no length (or the
// server refuses HEAD: 405/501), one GET with `Range: bytes=0-0` (Content-Range's total; a server that ignores Range
// answers 200 and its Content-Length or, lacking one, its body counted up to a cap). Every request goes through the
// crawler's Fetcher (target policy, timeouts, size caps) inside the run's per-host politeness gate (concurrency and
// Crawl-delay, shared by all workers). Sizes go to image_sizes (unique on run_id + url_hash, stamped with the
// execution), so a retried activity only sizes what is still missing; the image_too_large site check reads them.
import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { contentRangeTotal, intHeader } from '../audit/imageSize';
import { DEFAULT_THRESHOLDS } from '../audit/thresholds';
import { siteHostOf, urlHash } from '../audit/url';
import type { FetchOptions, FetchResult } from '../crawl/fetcher';
import { hostKey, siteHostLimits } from '../crawl/politeness';
import * as imageSizes from '../db/repositories/imageSizes';
import type { SiteAuditOptions } from '../workflows/contracts';
import type { ActivityDeps } from './deps';
import { crawlFetchOptions, loadRunContext, runHeaders } from './runContext';

export interface ImageSizeInput {
  runId: string;
  /** The run's execution (first run id of the workflow chain): page_audits and image_sizes rows are stamped with it. */
  executionId: string;
  options: SiteAuditOptions;
}

export interface ImageSizeResult {
  /** Distinct image URLs the run's pages show (at most MAX_IMAGES). */
  distinct: number;
  /** Sized by this attempt (the others were sized by an earlier attempt). */
  sized: number;
  /** Requests sent by this attempt, by kind. */
  heads: number;
  rangedGets: number;
  /** Over the run's imageMaxBytes. */
  oversized: number;
}

/** Bounds of one run's image sizing. */
const MAX_IMAGES = 5_000;
const CONCURRENCY = 8;
const MAX_TIMEOUT_MS = 15_000;
/** A server that ignores Range and sends no Content-Length has its body counted up to this (or the limit + 1). */
const COUNT_CAP_BYTES = 4 * 1024 * 1024;

interface Size {
  statusCode: number | null;
  bytes: number | null;
  method: 'head' | 'range' | null;
  failureReason: string | null;
}

export function createImageActivities(deps: ActivityDeps) {
  const { db, fetcher, crawl, log } = deps;

  return {
    async checkImageSizes(input: ImageSizeInput): Promise<ImageSizeResult> {
      const ctx = Context.current();
      const signal = ctx.cancellationSignal;
      const { runId, executionId, options } = input;
      // The same reading as the image_too_large check (a junk override falls back to the default instead of failing).
      const override = options.thresholds?.imageMaxBytes;
      const maxBytes = typeof override === 'number' && override > 0 ? override : DEFAULT_THRESHOLDS.imageMaxBytes;
      const targets = await imageSizes.imageUrlsOfExecution(db, runId, executionId, MAX_IMAGES);
      const known = await imageSizes.sizedHashes(db, runId, executionId);
      const todo = targets.map((url) => ({ url, hash: urlHash(url) })).filter((t) => !known.has(t.hash));

      const run = await loadRunContext(deps, runId);
      const limits = siteHostLimits(options, run.robots);
      const credentials = runHeaders(options, crawl.secretsKey);
      let heads = 0;
      let rangedGets = 0;
      let sized = 0;
      // Images may wait in the shared politeness gate (Crawl-delay) longer than the heartbeat timeout.
      const beat = () => ctx.heartbeat({ sized });
      const keepAlive = setInterval(beat, Math.max(500, Math.min(10_000, (ctx.info.heartbeatTimeoutMs ?? 30_000) / 3)));

      const request = (url: string, extra: Partial<FetchOptions>): Promise<FetchResult> =>
        deps.politeness.run(hostKey(url), limits, () => fetcher.fetchPage(url, {
          // Credentials go to the audited host only (an image on a subdomain gets none).
          ...crawlFetchOptions(options, crawl, signal, siteHostOf(url) === run.siteHost ? credentials : {}),
          timeoutMs: Math.min(options.requestTimeoutMs, MAX_TIMEOUT_MS),
          accept: 'any',
          ...extra,
        }), signal);

      const sizeOf = async (url: string): Promise<Size | null> => {
        if (options.respectRobots && !run.robots.isAllowed(url, options.userAgent)) {
          return { statusCode: null, bytes: null, method: null, failureReason: 'robots_disallowed' };
        }
        heads++;
        const head = await request(url, { method: 'HEAD' });
        if (head.failureReason === 'aborted') return null;
        const ok = (r: FetchResult) => r.statusCode >= 200 && r.statusCode < 300;
        // An answer whose Content-Length is over the fetcher's cap fails as too_large but still carries its headers.
        const headLength = ok(head) ? intHeader(head.headers['content-length']) : null;
        if (headLength !== null) return { statusCode: head.statusCode, bytes: headLength, method: 'head', failureReason: null };
        const refused = head.statusCode === 405 || head.statusCode === 501;
        if (!ok(head) && !refused) {
          return { statusCode: head.statusCode || null, bytes: null, method: 'head', failureReason: head.failureReason ?? (head.statusCode >= 400 ? `http_${head.statusCode}` : null) };
        }
        rangedGets++;
        const cap = Math.max(COUNT_CAP_BYTES, Math.ceil(maxBytes) + 1);
        const get = await request(url, { headers: { ...(siteHostOf(url) === run.siteHost ? credentials : {}), range: 'bytes=0-0' }, maxBytes: cap });
        if (get.failureReason === 'aborted') return null;
        const total = get.statusCode === 206 || get.statusCode === 416
          ? contentRangeTotal(get.headers['content-range'])
          : ok(get) ? intHeader(get.headers['content-length']) ?? (get.failureReason === null || get.failureReason === 'too_large' ? get.bytes : null) : null;
        return { statusCode: get.statusCode || null, bytes: total, method: 'range', failureReason: total === null ? (get.failureReason ?? 'no_length') : null };
      };

      const limit = pLimit(CONCURRENCY);
      try {
        await Promise.all(
          todo.map((t) =>
            limit(async () => {
              if (signal.aborted) return;
              const size = await sizeOf(t.url);
              if (size === null) return;
              await imageSizes.saveImageSize(db, runId, executionId, t.url, t.hash, size);
              sized++;
              beat();
            }),
          ),
        );
      } finally {
        clearInterval(keepAlive);
      }
      const oversized = await imageSizes.countOversized(db, runId, executionId, maxBytes);
      const result = { distinct: targets.length, sized, heads, rangedGets, oversized };
      log.info({ runId, ...result }, 'image sizes checked');
      return result;
    },
  };
}
