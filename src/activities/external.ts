// Optional external link checks (option checkExternalLinks), after the crawl and before the summary: every distinct
// external URL the audited pages link to is requested once per run. Results go to the per-run cache external_links
// (unique on run_id + url_hash), so a retried activity only checks what is still missing; summarize turns them into
// external_link_broken / external_link_redirect findings. The run's credentials are never sent to other hosts.
import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { urlHash } from '../audit/url';
import * as externalLinks from '../db/repositories/externalLinks';
import type { SiteAuditOptions } from '../workflows/contracts';
import type { ActivityDeps } from './deps';

export interface ExternalCheckInput {
  runId: string;
  options: Pick<SiteAuditOptions, 'requestTimeoutMs' | 'userAgent' | 'fetchRetryBaseMs'>;
}

export interface ExternalCheckResult {
  distinct: number;
  checked: number;
  broken: number;
  redirected: number;
}

/** Bounds of one run's external checks. */
const MAX_EXTERNAL_URLS = 5_000;
const CONCURRENCY = 8;
const MAX_TIMEOUT_MS = 10_000;
const MAX_BYTES = 256 * 1024;

export function createExternalActivities({ db, fetcher, crawl, log }: Pick<ActivityDeps, 'db' | 'fetcher' | 'crawl' | 'log'>) {
  return {
    async checkExternalLinks(input: ExternalCheckInput): Promise<ExternalCheckResult> {
      const ctx = Context.current();
      const { runId, options } = input;
      const targets = await externalLinks.externalTargets(db, runId, MAX_EXTERNAL_URLS);
      const known = await externalLinks.checkedExternalHashes(db, runId);
      const todo = targets.map((t) => ({ url: t.url, hash: urlHash(t.url) })).filter((t) => !known.has(t.hash));
      const limit = pLimit(CONCURRENCY);
      let done = 0;
      await Promise.all(
        todo.map((t) =>
          limit(async () => {
            if (ctx.cancellationSignal.aborted) return;
            const res = await fetcher.fetchPage(t.url, {
              timeoutMs: Math.min(options.requestTimeoutMs, MAX_TIMEOUT_MS),
              maxBytes: MAX_BYTES,
              maxRedirects: crawl.maxRedirects,
              userAgent: options.userAgent,
              retries: 1,
              retryBaseMs: options.fetchRetryBaseMs,
              retryMaxMs: 5_000,
              signal: ctx.cancellationSignal,
              accept: 'html',
            });
            if (res.failureReason === 'aborted') return;
            await externalLinks.insertExternalCheck(db, runId, {
              urlHash: t.hash, url: t.url, statusCode: res.statusCode || null, finalUrl: res.finalUrl || null, redirectChain: res.redirectChain,
              failureReason: res.statusCode ? null : (res.failureReason ?? 'failed'),
            });
            ctx.heartbeat(++done);
          }),
        ),
      );
      const c = await externalLinks.externalCounts(db, runId);
      log.info({ runId, distinct: targets.length, checked: done, broken: c.broken, redirected: c.redirected }, 'external links checked');
      return { distinct: targets.length, checked: done, broken: c.broken, redirected: c.redirected };
    },
  };
}
