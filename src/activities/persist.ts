// The persist activity: one transaction per chunk of `persistBatchSize` records. Every write is keyed, so running it
// twice (a retry after a lost response, a replay) changes nothing: pages upsert on (run_id, url_hash), links and new
// frontier URLs insert on their unique keys, and the run's counters are recomputed from rows, never incremented.
import { createScope } from '../audit/scope';
import { siteHostOf } from '../audit/url';
import { persistBatchSeconds } from '../metrics';
import type { ActivityDeps } from './deps';
import { enqueue, lockRun, type FrontierCandidate } from './frontier';
import type { PageRecord, PersistInput, PersistResult } from './types';

export function createPersistActivities({ db }: ActivityDeps) {
  return {
    async persistBatch(input: PersistInput): Promise<PersistResult> {
      const { runId, executionId, options } = input;
      const siteHost = siteHostOf(input.siteUrl) ?? '';
      const scope = createScope({ siteHost, include: options.include, exclude: options.exclude, subdomainsInternal: options.subdomainsInternal, maxDepth: options.maxDepth });
      const size = Math.max(1, options.persistBatchSize);
      let enqueued = 0;
      for (let i = 0; i < input.records.length; i += size) {
        const chunk = input.records.slice(i, i + size);
        const endTimer = persistBatchSeconds.startTimer();
        enqueued += await db.transaction(async (tx) => {
          await upsertPages(tx, runId, executionId, chunk);
          await insertLinks(tx, runId, chunk);
          let added = 0;
          if (options.followLinks) {
            const candidates: FrontierCandidate[] = [];
            for (const r of chunk) {
              if (r.depth + 1 > options.maxDepth) continue;
              for (const l of r.links) {
                // rel="nofollow" links stay in the link graph but are not crawled unless the run says so.
                if (l.nofollow && !options.followNofollow) continue;
                if (scope.inScope(l.url)) candidates.push({ url: l.url, urlHash: l.urlHash, depth: r.depth + 1, source: 'link', inSitemap: false });
              }
            }
            if (candidates.length > 0) {
              await lockRun(tx, runId);
              added = await enqueue(tx, runId, candidates, options.maxPages);
            }
          }
          await tx.query(`UPDATE frontier SET status = 'done' WHERE run_id = $1 AND url_hash = ANY($2)`, [runId, chunk.map((r) => r.urlHash)]);
          return added;
        });
        endTimer();
      }
      return { ...(await refreshCounters(db, runId, executionId)), enqueued };
    },
  };
}

type Tx = { query: (sql: string, params?: unknown[]) => Promise<any> };

async function upsertPages(tx: Tx, runId: string, executionId: string, records: PageRecord[]): Promise<void> {
  const rows = records.map((r) => ({
    url_hash: r.urlHash, url: r.url, final_url: r.finalUrl, status: r.status, status_code: r.statusCode, content_type: r.contentType,
    ttfb_ms: r.ttfbMs, duration_ms: r.durationMs, bytes: r.bytes, depth: r.depth, title: r.title, description: r.description,
    h1: r.h1, h1_count: r.h1Count, canonical: r.canonical, indexable: r.indexable, noindex: r.noindex, word_count: r.wordCount,
    lang: r.lang, content_hash: r.contentHash, simhash: r.simhash, issues: r.issues, redirect_chain: r.redirectChain,
    data: r.data, failure_reason: r.failureReason, failure_detail: r.failureDetail, attempts: r.attempts,
  }));
  await tx.query(
    `INSERT INTO page_audits (run_id, execution_id, url_hash, url, final_url, status, status_code, content_type, ttfb_ms, duration_ms,
        bytes, depth, title, description, h1, h1_count, canonical, indexable, noindex, word_count, lang, content_hash, simhash,
        issues, redirect_chain, data, failure_reason, failure_detail, attempts)
     SELECT $1, $2, r.url_hash, r.url, r.final_url, r.status, r.status_code, r.content_type, r.ttfb_ms, r.duration_ms,
        r.bytes, r.depth, r.title, r.description, r.h1, r.h1_count, r.canonical, r.indexable, r.noindex, r.word_count, r.lang,
        r.content_hash, r.simhash, r.issues, r.redirect_chain, r.data, r.failure_reason, r.failure_detail, r.attempts
       FROM jsonb_to_recordset($3::jsonb) AS r(url_hash text, url text, final_url text, status text, status_code int,
        content_type text, ttfb_ms int, duration_ms int, bytes int, depth int, title text, description text, h1 text,
        h1_count int, canonical text, indexable boolean, noindex boolean, word_count int, lang text, content_hash text,
        simhash text, issues jsonb, redirect_chain jsonb, data jsonb, failure_reason text, failure_detail text, attempts int)
     ON CONFLICT (run_id, url_hash) DO UPDATE SET
        execution_id = EXCLUDED.execution_id, url = EXCLUDED.url, final_url = EXCLUDED.final_url, status = EXCLUDED.status,
        status_code = EXCLUDED.status_code, content_type = EXCLUDED.content_type, ttfb_ms = EXCLUDED.ttfb_ms,
        duration_ms = EXCLUDED.duration_ms, bytes = EXCLUDED.bytes, depth = LEAST(page_audits.depth, EXCLUDED.depth),
        title = EXCLUDED.title, description = EXCLUDED.description, h1 = EXCLUDED.h1, h1_count = EXCLUDED.h1_count,
        canonical = EXCLUDED.canonical, indexable = EXCLUDED.indexable, noindex = EXCLUDED.noindex,
        word_count = EXCLUDED.word_count, lang = EXCLUDED.lang, content_hash = EXCLUDED.content_hash,
        simhash = EXCLUDED.simhash, issues = EXCLUDED.issues, redirect_chain = EXCLUDED.redirect_chain, data = EXCLUDED.data,
        failure_reason = EXCLUDED.failure_reason, failure_detail = EXCLUDED.failure_detail, attempts = EXCLUDED.attempts,
        audited_at = now(), updated_at = now()`,
    [runId, executionId, JSON.stringify(rows)],
  );
}

async function insertLinks(tx: Tx, runId: string, records: PageRecord[]): Promise<void> {
  const links = records.flatMap((r) => r.links.map((l) => ({ from_hash: r.urlHash, to_hash: l.urlHash, to_url: l.url, anchor_text: l.text, nofollow: l.nofollow })));
  if (links.length === 0) return;
  await tx.query(
    `INSERT INTO page_links (run_id, from_hash, to_hash, to_url, anchor_text, nofollow)
     SELECT $1, l.from_hash, l.to_hash, l.to_url, l.anchor_text, l.nofollow
       FROM jsonb_to_recordset($2::jsonb) AS l(from_hash text, to_hash text, to_url text, anchor_text text, nofollow boolean)
     ON CONFLICT (run_id, from_hash, to_hash) DO NOTHING`,
    [runId, JSON.stringify(links)],
  );
}

/** Counters from rows: exact whatever was retried or replayed. */
export async function refreshCounters(db: Tx, runId: string, executionId: string): Promise<Omit<PersistResult, 'enqueued'>> {
  const [c] = await db.query(
    `SELECT (SELECT count(*)::int FROM frontier WHERE run_id = $1) AS discovered,
            count(*) FILTER (WHERE status = 'ok')::int AS audited,
            count(*) FILTER (WHERE status = 'failed')::int AS failed
       FROM page_audits WHERE run_id = $1 AND execution_id = $2`,
    [runId, executionId],
  );
  const reasons: Array<{ reason: string; n: number }> = await db.query(
    `SELECT failure_reason AS reason, count(*)::int AS n FROM page_audits
      WHERE run_id = $1 AND execution_id = $2 AND failure_reason IS NOT NULL GROUP BY failure_reason`,
    [runId, executionId],
  );
  const counters = { discovered: c.discovered, audited: c.audited, failed: c.failed, persisted: c.audited + c.failed };
  await db.query(
    `UPDATE audit_runs SET discovered = $2, audited = $3, failed = $4, persisted = $5, updated_at = now() WHERE id = $1`,
    [runId, counters.discovered, counters.audited, counters.failed, counters.persisted],
  );
  return { counters, failReasons: Object.fromEntries(reasons.map((r) => [r.reason, r.n])) };
}
