// Per-run facts every audit batch needs (robots rules, site host), loaded once per worker process and cached.
import { parseRobots, type RobotsRules } from '../audit/robots';
import { siteHostOf } from '../audit/url';
import { runRobots } from '../db/repositories/runs';
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
