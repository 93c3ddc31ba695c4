// Progress as of the moment it is read: the workflow's query answers what it knew at its last workflow task, which
// during a polite crawl can be a minute old. Counters take the larger of the query's and the row's (activities bump
// audit_runs as pages finish), and elapsed time, rate and ETA are computed against `now`. Pure.
import type { ProgressView } from './records';

export interface RowCounters {
  discovered: number;
  audited: number;
  failed: number;
  persisted: number;
}

export function progressAsOf(p: ProgressView, row: Partial<RowCounters>, now: number): ProgressView {
  const pick = (k: keyof RowCounters) => Math.max(p[k] ?? 0, Number(row[k] ?? 0) || 0);
  const discovered = pick('discovered');
  const audited = pick('audited');
  const failed = pick('failed');
  const persisted = pick('persisted');
  const started = Date.parse(p.startedAt);
  const elapsedMs = Number.isFinite(started) ? Math.max(p.elapsedMs, now - started) : p.elapsedMs;
  const done = audited + failed;
  const pagesPerMinute = elapsedMs > 0 ? Math.round((done / (elapsedMs / 60_000)) * 10) / 10 : 0;
  const remaining = Math.max(0, discovered - done);
  const etaMs = done > 0 && pagesPerMinute > 0 ? Math.round((remaining / pagesPerMinute) * 60_000) : p.etaMs;
  const percent = discovered > 0 ? Math.min(100, Math.round((done / discovered) * 1000) / 10) : p.percent;
  return { ...p, discovered, audited, failed, persisted, elapsedMs, pagesPerMinute, etaMs, percent };
}

/** Pages per minute as people read it: whole pages once the rate is in the hundreds ("12,949", not "12948.9"). */
export function formatRate(perMinute: number): string {
  return perMinute >= 100 ? Math.round(perMinute).toLocaleString('en-US') : String(perMinute);
}
