// The nightly Temporal Schedule (audit the configured sites as a batch, then recommendations for each finished run),
// created or updated idempotently: `sitesweep schedule` and PUT /api/schedule both call upsertNightlySchedule.
// One schedule per task queue (deployment): `sitesweep-nightly` on the default queue, `sitesweep-nightly-<queue>` else,
// so two deployments (or two tests) sharing a Temporal namespace never overwrite each other's schedule.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import { normalizeUrl, siteHostOf } from '../audit/url';
import type { Config } from '../config';
import { NIGHTLY_SCHEDULE_ID, type NightlyInput } from '../workflows/aiContracts';
import { DEFAULT_POLICIES } from '../workflows/contracts';

export interface NightlyScheduleOptions {
  sites?: string[];
  cron?: string;
  model?: string;
  /** Run options of every audit of the night (already sealed: credentials never reach the schedule in clear). */
  options?: Record<string, unknown>;
}

export interface NightlyScheduleView {
  scheduleId: string;
  sites: string[];
  cron: string;
  model: string;
  options: Record<string, unknown>;
  taskQueue: string;
  paused: boolean;
  nextActionTimes: string[];
  recentActions: Array<{ scheduledAt: string; takenAt: string; workflowId: string }>;
  createdAt: string | null;
  updatedAt: string | null;
}

export const nightlyScheduleId = (config: Config) =>
  config.temporal.taskQueue === 'sitesweep' ? NIGHTLY_SCHEDULE_ID : `${NIGHTLY_SCHEDULE_ID}-${config.temporal.taskQueue}`;

/** Sites as the batch API keeps them: normalized http(s) URLs, one per host (a bare host means https). */
export function normalizeSites(entries: string[]): string[] {
  const out: string[] = [];
  const hosts = new Set<string>();
  entries.forEach((entry, i) => {
    const raw = entry.trim();
    const normalized = normalizeUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}/`);
    const host = normalized ? siteHostOf(normalized) : null;
    if (!normalized || !host) throw new Error(`sites[${i}]: must be an http(s) URL or a host name`);
    if (hosts.has(host)) return;
    hosts.add(host);
    out.push(normalized);
  });
  return out;
}

export async function upsertNightlySchedule(client: Client, config: Config, o: NightlyScheduleOptions = {}): Promise<{ scheduleId: string; created: boolean }> {
  const cron = o.cron ?? config.ai.nightly.cron;
  const input: NightlyInput = {
    sites: normalizeSites(o.sites ?? config.ai.nightly.sites), model: o.model ?? config.ai.nightly.model, cron,
    ...(o.options && Object.keys(o.options).length ? { options: o.options } : {}),
    policies: { ...DEFAULT_POLICIES, ...config.policies },
    pollIntervalMs: config.ai.pollIntervalMs, pollMaxIntervalMs: config.ai.pollMaxIntervalMs, pollMaxMs: config.ai.pollMaxMs,
  };
  if (input.sites.length === 0) throw new Error('sites: the nightly schedule needs at least one site (NIGHTLY_SITES or --site)');
  const scheduleId = nightlyScheduleId(config);
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow', workflowType: 'nightlyWorkflow', taskQueue: config.temporal.taskQueue, args: [input], workflowId: `${scheduleId}-run`,
  };
  const spec = { cronExpressions: [cron] };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
    return { scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // Only spec and action change: the schedule's state (paused, notes) and its recent actions are kept.
    await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action }));
    return { scheduleId, created: false };
  }
}

/** The schedule as configured, with its next and recent actions; null when it does not exist. */
export async function describeNightlySchedule(client: Client, config: Config): Promise<NightlyScheduleView | null> {
  const scheduleId = nightlyScheduleId(config);
  let d;
  try {
    d = await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
  const input = ((d.action as { args?: unknown[] }).args?.[0] ?? {}) as Partial<NightlyInput>;
  const iso = (t: Date | undefined | null) => (t ? t.toISOString() : null);
  return {
    scheduleId,
    sites: input.sites ?? [],
    // The server keeps a cron expression only as calendars: the input carries it as given.
    cron: input.cron ?? '',
    model: input.model ?? '',
    options: input.options ?? {},
    taskQueue: (d.action as { taskQueue?: string }).taskQueue ?? config.temporal.taskQueue,
    paused: d.state.paused,
    nextActionTimes: d.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
    recentActions: d.info.recentActions.slice(-5).map((a) => ({
      scheduledAt: iso(a.scheduledAt)!, takenAt: iso(a.takenAt)!, workflowId: a.action.workflow.workflowId,
    })),
    createdAt: iso(d.info.createdAt),
    updatedAt: iso(d.info.lastUpdatedAt),
  };
}
