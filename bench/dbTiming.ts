// Profiling aid (BENCH_PROFILE=1 only): times every SQL statement typeorm sends to PostgreSQL, grouped by what it is.
// Wall time per statement, so it includes waiting for the event loop when the worker's JS thread is busy parsing.
// The links' COPY (persist.insertLinks) goes to the pg client directly and is not among them; the server-side table
// (pg_stat_statements, run.ts) has it.
import { performance } from 'node:perf_hooks';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';

const LABELS: Array<[RegExp, string]> = [
  [/^(START TRANSACTION|BEGIN)/i, 'tx.begin'],
  [/^COMMIT/i, 'tx.commit'],
  [/^ROLLBACK/i, 'tx.rollback'],
  [/^INSERT INTO page_audits/i, 'persist.upsertPages'],
  [/^INSERT INTO frontier/i, 'frontier.insert'],
  [/^SELECT count\(\*\)::int AS n FROM frontier/i, 'frontier.count'],
  [/^UPDATE frontier SET in_sitemap/i, 'frontier.inSitemap'],
  [/^UPDATE frontier SET status = 'done'/i, 'persist.markDone'],
  [/^SELECT id FROM audit_runs WHERE id = \$1 FOR UPDATE/i, 'lockRun'],
  [/^SELECT url, url_hash, depth FROM frontier/i, 'claim.lookup'],
  [/^UPDATE frontier SET status = 'claimed'/i, 'claim.update'],
  [/^SELECT \(SELECT count/i, 'counters.count'],
  [/GROUP BY failure_reason/i, 'counters.reasons'],
  [/^UPDATE audit_runs SET discovered = \$2, audited/i, 'counters.update'],
  [/^SELECT site_url, robots_txt/i, 'runContext'],
];

export interface SqlTiming {
  label: string;
  count: number;
  ms: number;
}

export function instrumentSql(): { report(): SqlTiming[] } {
  const stats = new Map<string, { count: number; ms: number }>();
  const proto = PostgresQueryRunner.prototype as unknown as { query: (...args: unknown[]) => Promise<unknown> };
  const original = proto.query;
  proto.query = async function (this: unknown, ...args: unknown[]) {
    const sql = String(args[0]).trim().replace(/\s+/g, ' ');
    const label = LABELS.find(([re]) => re.test(sql))?.[1] ?? sql.slice(0, 40);
    const t0 = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      const s = stats.get(label) ?? { count: 0, ms: 0 };
      s.count++;
      s.ms += performance.now() - t0;
      stats.set(label, s);
    }
  };
  return {
    report: () => [...stats.entries()].map(([label, s]) => ({ label, count: s.count, ms: Math.round(s.ms) })).sort((a, b) => b.ms - a.ms),
  };
}

/**
 * EXPERIMENT (BENCH_EXPERIMENTS=advisory-lock), simulating a proposed change to src/activities/frontier.ts without
 * editing it: lockRun's `SELECT … FROM audit_runs … FOR UPDATE` becomes a no-op, and enqueue's first statement (the
 * frontier count) first takes a transaction-scoped advisory lock on the run. Enqueues of one run stay serialized (the
 * maxPages cap stays exact), but page/link upserts of parallel lanes and the counters UPDATE no longer queue behind
 * one row lock held for a whole persist transaction.
 */
export function simulateAdvisoryRunLock(): void {
  const proto = PostgresQueryRunner.prototype as unknown as { query: (...args: unknown[]) => Promise<unknown> };
  const original = proto.query;
  proto.query = async function (this: unknown, ...args: unknown[]) {
    const sql = String(args[0]).trim().replace(/\s+/g, ' ');
    const params = args[1] as unknown[] | undefined;
    if (/^SELECT id FROM audit_runs WHERE id = \$1 FOR UPDATE$/i.test(sql)) return original.call(this, 'SELECT 1', [], ...args.slice(2));
    if (/^SELECT count\(\*\)::int AS n FROM frontier WHERE run_id = \$1$/i.test(sql) && params) {
      await original.call(this, 'SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))', [params[0]]);
    }
    return original.apply(this, args);
  };
}
