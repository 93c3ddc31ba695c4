// Issue 12 part 7: a standalone worker installs the SDK runtime: the SDK's own log lines come out through pino (JSON,
// component temporal-sdk) and Core's Prometheus metrics (task slots, pollers, sticky cache, schedule-to-start) are merged
// into the worker's own /metrics next to sitesweep_* counters.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { getFreePort } from '../../src/stack';
import { createTestDatabase, requireEnv, uid, waitFor, type TestDb } from '../helpers/stack';

const root = path.join(__dirname, '..', '..');
let tdb: TestDb;
let child: ChildProcess | null = null;
let stdout = '';

before(async () => {
  tdb = await createTestDatabase('sdkrt');
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  await tdb?.close();
});

test('worker: SDK logs through pino, SDK Prometheus metrics merged into /metrics', { timeout: 90_000 }, async () => {
  const port = await getFreePort();
  child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'worker.ts')], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: tdb.url,
      TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'),
      TEMPORAL_TASK_QUEUE: `sdkrt-${uid()}`,
      METRICS_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.resume();
  const text = await waitFor(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const body = await res.text();
    return /^temporal_worker_task_slots_available/m.test(body) ? body : null;
  }, 60_000, 500);
  assert.ok(/^sitesweep_pages_audited_total/m.test(text), "the app's own metrics are still there");
  assert.ok(/^temporal_worker_task_slots_available\{[^}]*worker_type="ActivityWorker"/m.test(text), 'activity slots');
  assert.ok(/^temporal_num_pollers\{[^}]*poller_type="sticky_workflow_task"/m.test(text), 'sticky pollers');
  // (temporal_sticky_cache_size and the schedule-to-start histograms appear once the worker has taken a task.)
  // Exactly one HELP/TYPE block per metric after merging (a valid exposition).
  const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
  assert.equal(new Set(types).size, types.length);
  // The SDK's own lifecycle log ("Worker state changed") as a pino JSON line.
  const sdkLine = await waitFor(async () => stdout.split('\n').find((l) => l.includes('"component":"temporal-sdk"')), 20_000);
  const entry = JSON.parse(sdkLine);
  assert.equal(entry.name, 'worker');
  assert.equal(typeof entry.level, 'number');
});
