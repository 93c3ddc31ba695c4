// No activity of a site run can hold it up longer than the heartbeat timeout when its worker dies: every activity the
// workflow schedules either heartbeats within that timeout or must finish within it (the bookkeeping writes had a
// one-minute start-to-close, twice the default heartbeat timeout). Read from the history of a real run with mocked
// activities.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { SiteAuditResult } from '../../src/workflows/contracts';
import { FakeFrontier, mockActivities, startMockWorker, type MockWorkerEnv } from './mockActivities';

const envs: MockWorkerEnv[] = [];
after(async () => {
  for (const e of envs) await e.close();
});

const seconds = (d: { seconds?: unknown; nanos?: number | null } | null | undefined): number | null =>
  d ? Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9 : null;

for (const heartbeatMs of [30_000, 12_000]) {
  test(`heartbeat timeout ${heartbeatMs / 1000} s: every scheduled activity heartbeats within it or finishes within it`, async () => {
    const graph = { '/': ['/a', '/b'], '/a': ['/c'] };
    const { activities } = mockActivities(new FakeFrontier(graph), graph);
    const env = await startMockWorker(activities);
    envs.push(env);
    const handle = await env.start({ auditBatchSize: 2, parallelBatches: 2, policies: { auditHeartbeatTimeoutMs: heartbeatMs } });
    const result = (await handle.result()) as SiteAuditResult;
    assert.equal(result.pagesAudited, 4);

    const scheduled = (await handle.fetchHistory()).events!
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a): a is NonNullable<typeof a> => Boolean(a));
    const types = new Set(scheduled.map((a) => a.activityType!.name!));
    for (const t of ['initRun', 'discover', 'setStage', 'crawlBatch', 'summarize']) assert.ok(types.has(t), `${t} was scheduled`);
    for (const a of scheduled) {
      const heartbeat = seconds(a.heartbeatTimeout);
      const startToClose = seconds(a.startToCloseTimeout)!;
      const bound = heartbeat && heartbeat > 0 ? heartbeat : startToClose;
      assert.ok(bound <= Math.max(heartbeatMs, 30_000) / 1000, `${a.activityType!.name}: held up to ${bound} s by a dead worker (heartbeat ${heartbeat}, start-to-close ${startToClose})`);
    }
  });
}
