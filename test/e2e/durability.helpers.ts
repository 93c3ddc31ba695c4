// Shared by the durability tests (test/e2e/durability*.test.ts): reading pending activities (with their decoded
// heartbeat details) from the server, the "every page exactly once" check against page_audits, and their teardown.
import assert from 'node:assert/strict';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { CrawlHeartbeat } from '../../src/activities/audit';
import type { SlowSite } from '../fixtures/slowSite';
import type { TestDb } from '../helpers/stack';
import type { WorkerProcess } from '../helpers/workerProcess';

export interface Pending {
  activityId: string;
  activityType: string;
  attempt: number;
  /** STARTED: a worker holds this attempt now (lastWorkerIdentity names it); otherwise scheduled or cancel-requested. */
  started: boolean;
  lastWorkerIdentity: string;
  lastHeartbeatTime: number | null;
  lastFailure: string | null;
  heartbeat: CrawlHeartbeat | null;
}

export async function pendingActivities(client: Client, handle: WorkflowHandle): Promise<Pending[]> {
  const { raw } = await handle.describe();
  const converter = client.options.loadedDataConverter.payloadConverter;
  return (raw.pendingActivities ?? []).map((p) => {
    const payload = p.heartbeatDetails?.payloads?.[0];
    const heartbeat = payload ? (converter.fromPayload(payload) as CrawlHeartbeat) : null;
    const t = p.lastHeartbeatTime;
    return {
      activityId: p.activityId ?? '',
      activityType: p.activityType?.name ?? '',
      attempt: p.attempt ?? 0,
      // temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
      started: p.state === 2,
      lastWorkerIdentity: p.lastWorkerIdentity ?? '',
      lastHeartbeatTime: t?.seconds != null ? Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : null,
      lastFailure: p.lastFailure?.message ?? null,
      heartbeat,
    };
  });
}

/** Every fixture page is in page_audits exactly once for the run (0 missing, 0 duplicate, nothing else). */
export async function assertEveryPageOnce(db: DataSource, runId: string, origin: string, paths: string[]): Promise<{ missing: number; duplicates: number }> {
  const rows: Array<{ url: string; n: number }> = await db.query(
    `SELECT url, count(*)::int AS n FROM page_audits WHERE run_id = $1 GROUP BY url ORDER BY url`,
    [runId],
  );
  const byUrl = new Map(rows.map((r) => [r.url, r.n]));
  const expected = paths.map((p) => new URL(p, origin).toString());
  const missing = expected.filter((u) => !byUrl.has(u));
  const duplicates = rows.filter((r) => r.n !== 1).map((r) => r.url);
  const extra = rows.map((r) => r.url).filter((u) => !expected.includes(u));
  assert.deepEqual(missing, [], 'no page missing from page_audits');
  assert.deepEqual(duplicates, [], 'no page twice in page_audits');
  assert.deepEqual(extra, [], 'no unexpected page in page_audits');
  const [{ ok, failed }] = await db.query(
    `SELECT count(*) FILTER (WHERE status = 'ok')::int AS ok, count(*) FILTER (WHERE status <> 'ok')::int AS failed FROM page_audits WHERE run_id = $1`,
    [runId],
  );
  assert.equal(failed, 0, 'no page recorded as failed');
  assert.equal(ok, paths.length);
  return { missing: missing.length, duplicates: duplicates.length };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Stops what a durability test started: its worker processes, client, database and site (those a failed set-up left unset are skipped). */
export async function closeAll(parts: { workers: WorkerProcess[]; client?: Client; tdb?: TestDb; site?: SlowSite }): Promise<void> {
  await Promise.all(parts.workers.map((w) => w.stop(5_000)));
  await parts.client?.connection.close();
  await parts.tdb?.close();
  await parts.site?.close();
}
