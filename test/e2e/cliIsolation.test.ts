// Issue 12 part 7: the CLI against a Temporal server that other workers use. The CLI brings its own PostgreSQL (no
// DATABASE_URL), so its in-process worker must not poll the shared task queue: a foreign worker on that queue, bound to
// another database, must take none of the CLI's workflow or activity tasks, and the run must complete.
// The same for a CLI worker that may fetch loopback (`--allow-private`) on the shared database: it must neither take
// the deployed (strict) workers' runs nor hand its own to them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { runCli } from '../helpers/cli';
import { createTestDatabase, requireEnv, startTestWorker, testConfig, uid, type RunningWorker, type TestDb } from '../helpers/stack';

let site: FixtureSite;
let foreignDb: TestDb;
let foreign: RunningWorker;
let sharedDb: TestDb;
let strict: RunningWorker | undefined;
let home: string;
const sharedQueue = `shared-${uid()}`;

const cli = (args: string[], env: Record<string, string>) => runCli(args, env);

before(async () => {
  site = await startFixtureSite();
  foreignDb = await createTestDatabase('foreign');
  // "Another team's" worker: same Temporal server, same task queue name, its own database.
  foreign = await startTestWorker(testConfig({ TEMPORAL_TASK_QUEUE: sharedQueue }), foreignDb.db, 'foreign-worker');
  home = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-iso-'));
});

after(async () => {
  await foreign?.stop();
  await strict?.stop();
  await foreignDb?.close();
  await sharedDb?.close();
  await site?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('CLI with a local database on a shared Temporal server uses a private task queue; the foreign worker gets nothing', { timeout: 180_000 }, async () => {
  const address = requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS');
  const res = await cli(['audit', site.origin, '--allow-private', '--max-pages', '4', '--key', `iso-${uid()}`], {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: sharedQueue,
    DATABASE_URL: '',
    SITESWEEP_HOME: home,
    FETCH_RETRIES: '0',
  });
  assert.equal(res.code, 0, res.stderr.slice(-3000));
  assert.match(res.stderr, new RegExp(`private task queue "${sharedQueue}-cli-[0-9a-f]{12}"`));
  assert.match(res.stdout, /pages audited 4, failed 0/);
  const workflowId = /\(workflow ([^)]+)\)/.exec(res.stderr)?.[1];
  assert.ok(workflowId, res.stderr);

  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const handle = client.workflow.getHandle(workflowId);
    const desc = await handle.describe();
    assert.match(desc.taskQueue, new RegExp(`^${sharedQueue}-cli-`));
    // Every workflow and activity task of the run was taken by the CLI's worker, none by the foreign one.
    const history = await handle.fetchHistory();
    const identities = new Set<string>();
    for (const e of history.events ?? []) {
      const id = e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
      if (id) identities.add(id);
    }
    assert.ok(identities.size > 0);
    assert.ok(![...identities].includes('foreign-worker'), [...identities].join(', '));
  } finally {
    await connection.close();
  }
  const [{ n }] = await foreignDb.db.query(`SELECT count(*)::int AS n FROM audit_runs`);
  assert.equal(n, 0, 'nothing written to the foreign database');
});

test('CLI --allow-private with the shared database: its worker polls a private queue, the strict deployed worker takes none of its tasks', { timeout: 180_000 }, async () => {
  const address = requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS');
  const queue = `shared-db-${uid()}`;
  sharedDb = await createTestDatabase('sharedcli');
  // The deployed worker: same Temporal, queue and database, the default (strict) target policy.
  strict = await startTestWorker(testConfig({ TEMPORAL_TASK_QUEUE: queue, ALLOW_PRIVATE_TARGETS: 'false' }), sharedDb.db, 'strict-worker');
  const res = await cli(['audit', site.origin, '--allow-private', '--max-pages', '4', '--key', `open-${uid()}`], {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: queue,
    DATABASE_URL: sharedDb.url,
    SITESWEEP_HOME: home,
    FETCH_RETRIES: '0',
  });
  assert.equal(res.code, 0, res.stderr.slice(-3000));
  assert.match(res.stdout, /pages audited 4, failed 0/, 'no page refused as blocked_target by a strict worker');
  assert.match(res.stderr, new RegExp(`--allow-private\\): its workflows and activities go to the private task queue "${queue}-cli-[0-9a-f]{12}"`));
  const workflowId = /\(workflow ([^)]+)\)/.exec(res.stderr)?.[1];
  assert.ok(workflowId, res.stderr);
  const connection = await Connection.connect({ address });
  try {
    const handle = new Client({ connection }).workflow.getHandle(workflowId);
    assert.match((await handle.describe()).taskQueue, new RegExp(`^${queue}-cli-`));
    const identities = new Set<string>();
    for (const e of (await handle.fetchHistory()).events ?? []) {
      const id = e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
      if (id) identities.add(id);
    }
    assert.ok(identities.size > 0 && !identities.has('strict-worker'), [...identities].join(', '));
  } finally {
    await connection.close();
  }
});
