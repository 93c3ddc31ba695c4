// Optional external link checks (option checkExternalLinks), after the crawl and before the summary: every distinct
// external URL the audited pages link to is requested once per run. Results go to the per-run cache external_links
// (unique on run_id + url_hash), so a retried activity only checks what is still missing; summarize turns them into
// external_link_broken / external_link_redirect findings. The run's credentials are never sent to other hosts.
import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { urlHash } from '../audit/url';
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

export function createExternalActivities({ db, fetcher, crawl, log }: ActivityDeps) {
  return {
    async checkExternalLinks(input: ExternalCheckInput): Promise<ExternalCheckResult> {
      const ctx = Context.current();
      const { runId, options } = input;
      const targets: Array<{ url: string }> = await db.query(
        `SELECT DISTINCT e->>'url' AS url
           FROM page_audits p
          CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.data->'external') = 'array' THEN p.data->'external' ELSE '[]'::jsonb END) e
          WHERE p.run_id = $1 AND e->>'url' ~ '^https?://'
          ORDER BY 1 LIMIT $2`,
        [runId, MAX_EXTERNAL_URLS],
      );
      const known = new Set<string>(
        (await db.query(`SELECT url_hash FROM external_links WHERE run_id = $1`, [runId])).map((r: { url_hash: string }) => r.url_hash),
      );
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
            await db.query(
              `INSERT INTO external_links (run_id, url_hash, url, status_code, final_url, redirect_chain, failure_reason)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id, url_hash) DO NOTHING`,
              [runId, t.hash, t.url, res.statusCode || null, res.finalUrl || null, JSON.stringify(res.redirectChain),
                res.statusCode ? null : (res.failureReason ?? 'failed')],
            );
            ctx.heartbeat(++done);
          }),
        ),
      );
      const [c] = await db.query(
        `SELECT count(*) FILTER (WHERE status_code IS NULL OR status_code >= 400)::int AS broken,
                count(*) FILTER (WHERE status_code < 400 AND jsonb_array_length(redirect_chain) > 0)::int AS redirected
           FROM external_links WHERE run_id = $1`,
        [runId],
      );
      log.info({ runId, distinct: targets.length, checked: done, broken: c.broken, redirected: c.redirected }, 'external links checked');
      return { distinct: targets.length, checked: done, broken: c.broken, redirected: c.redirected };
    },
  };
}
