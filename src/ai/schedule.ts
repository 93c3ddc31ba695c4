// The nightly Temporal Schedule (audit the configured sites as a batch, then recommendations for each finished run),
// created or updated idempotently: `sitesweep schedule` and POST /api/schedules/nightly both call upsertNightlySchedule.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import type { Config } from '../config';
import { NIGHTLY_SCHEDULE_ID, type NightlyInput } from '../workflows/aiContracts';

export interface NightlyScheduleOptions {
  sites?: string[];
  cron?: string;
  model?: string;
}

export async function upsertNightlySchedule(client: Client, config: Config, o: NightlyScheduleOptions = {}): Promise<{ scheduleId: string; created: boolean }> {
  const input: NightlyInput = {
    sites: o.sites ?? config.ai.nightly.sites, model: o.model ?? config.ai.nightly.model,
    pollIntervalMs: config.ai.pollIntervalMs, pollMaxIntervalMs: config.ai.pollMaxIntervalMs, pollMaxMs: config.ai.pollMaxMs,
  };
  if (input.sites.length === 0) throw new Error('sites: the nightly schedule needs at least one site (NIGHTLY_SITES or --site)');
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow', workflowType: 'nightlyWorkflow', taskQueue: config.temporal.taskQueue, args: [input], workflowId: `${NIGHTLY_SCHEDULE_ID}-run`,
  };
  const spec = { cronExpressions: [o.cron ?? config.ai.nightly.cron] };
  try {
    await client.schedule.create({ scheduleId: NIGHTLY_SCHEDULE_ID, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
    return { scheduleId: NIGHTLY_SCHEDULE_ID, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(NIGHTLY_SCHEDULE_ID).update((prev) => ({ ...prev, spec, action }));
    return { scheduleId: NIGHTLY_SCHEDULE_ID, created: false };
  }
}
