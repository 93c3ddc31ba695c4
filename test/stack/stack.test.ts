// The local stack on real processes: Temporal CLI dev server (and the SDK fallback wrapper) and embedded PostgreSQL.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { SEARCH_ATTRIBUTE_AI_JOB_STATUS } from '../../src/workflows/aiContracts';
import { SEARCH_ATTRIBUTE_AUDIT_STAGE, SEARCH_ATTRIBUTE_SITE_HOST } from '../../src/workflows/contracts';
import {
  bringUpStack,
  createDatabase,
  dropDatabase,
  ensureSearchAttributes,
  findOrBuildTemporalCli,
  getFreePort,
  isTemporalReachable,
  maskUrl,
  pidAlive,
  SEARCH_ATTRIBUTES,
  startLocalPostgres,
  startTemporalDevServer,
  temporalCliCacheDir,
} from '../../src/stack';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function customAttributes(address: string, namespace: string): Promise<Record<string, unknown>> {
  const conn = await Connection.connect({ address });
  try {
    const res = await conn.operatorService.listSearchAttributes({ namespace });
    return res.customAttributes ?? {};
  } finally {
    await conn.close();
  }
}

async function selectOne(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await c.connect();
  try {
    const { rows } = await c.query<{ x: number }>('select 1 as x');
    return rows[0].x;
  } finally {
    await c.end();
  }
}

void describe('ports and logging helpers', () => {
  void test('getFreePort hands out distinct ports; maskUrl hides passwords', async () => {
    const ports = await Promise.all([getFreePort(), getFreePort(), getFreePort()]);
    assert.equal(new Set(ports).size, 3);
    assert.equal(maskUrl('postgres://u:secret@127.0.0.1:5432/db'), 'postgres://u:***@127.0.0.1:5432/db');
    assert.equal(maskUrl('postgres://127.0.0.1/db'), 'postgres://127.0.0.1/db');
  });

  void test('search attribute names match the workflow contracts', () => {
    assert.deepEqual([...SEARCH_ATTRIBUTES].sort(), [SEARCH_ATTRIBUTE_AUDIT_STAGE, SEARCH_ATTRIBUTE_SITE_HOST, SEARCH_ATTRIBUTE_AI_JOB_STATUS].sort());
  });
});

void describe('findOrBuildTemporalCli', () => {
  void test('finds a working temporal binary on this machine', async () => {
    const bin = await findOrBuildTemporalCli({ allowBuild: false });
    assert.ok(bin, 'expected a temporal binary (PATH, cache or Go bin dir)');
    await fs.access(bin, fs.constants.X_OK);
  });

  void test('order: a bad TEMPORAL_CLI_PATH is skipped, then the per-user cache is used', async () => {
    const cache = await tempDir('sitesweep-cache-');
    const env = { HOME: os.homedir(), PATH: '', XDG_CACHE_HOME: cache, TEMPORAL_CLI_PATH: path.join(cache, 'nope') };
    const dir = temporalCliCacheDir(env);
    assert.ok(dir.startsWith(cache) && dir.endsWith(path.join('temporal-cli', 'v1.5.1')));
    await fs.mkdir(dir, { recursive: true });
    const fake = path.join(dir, 'temporal');
    await fs.writeFile(fake, '#!/bin/sh\necho "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)"\n', { mode: 0o755 });
    assert.equal(await findOrBuildTemporalCli({ env, allowBuild: false }), fake);
    // An explicit, valid TEMPORAL_CLI_PATH wins.
    assert.equal(await findOrBuildTemporalCli({ env: { ...env, TEMPORAL_CLI_PATH: fake } }), fake);
  });
});

void describe('findOrBuildTemporalCli: one-time Go build', () => {
  // A fake `go` that "installs" a fake temporal into $GOBIN after a pause, counting its builds.
  async function fakeGo(): Promise<{ env: Record<string, string>; count: string; cacheBin: string }> {
    const root = await tempDir('sitesweep-fakego-');
    const bin = path.join(root, 'bin');
    await fs.mkdir(bin);
    const count = path.join(root, 'builds');
    const script = [
      '#!/bin/sh',
      'if [ "$1" = env ]; then echo "$FAKE_GOPATH"; exit 0; fi',
      'if [ "$1" = install ]; then',
      '  echo "go: downloading $2"; sleep 1; echo build >> "$FAKE_COUNT"',
      `  printf '#!/bin/sh\\necho "temporal version 1.5.1"\\n' > "$GOBIN/temporal"; chmod +x "$GOBIN/temporal"; exit 0`,
      'fi',
      'exit 1',
      '',
    ].join('\n');
    await fs.writeFile(path.join(bin, 'go'), script, { mode: 0o755 });
    const env = {
      PATH: `${bin}:/usr/bin:/bin`,
      HOME: root,
      XDG_CACHE_HOME: path.join(root, 'cache'),
      FAKE_GOPATH: path.join(root, 'gopath'),
      FAKE_COUNT: count,
    };
    return { env, count, cacheBin: path.join(temporalCliCacheDir(env), 'temporal') };
  }

  void test('two concurrent callers build once, under the lock, into the per-user cache', { timeout: 30_000 }, async () => {
    const { env, count, cacheBin } = await fakeGo();
    const [a, b] = await Promise.all([findOrBuildTemporalCli({ env }), findOrBuildTemporalCli({ env })]);
    assert.equal(a, cacheBin);
    assert.equal(b, cacheBin);
    assert.equal((await fs.readFile(count, 'utf8')).trim().split('\n').length, 1, 'built exactly once');
    const left = await fs.readdir(path.dirname(cacheBin));
    assert.deepEqual(left, ['temporal'], 'no lock or staging dir left behind');
    // Next time: found in the cache, no build.
    assert.equal(await findOrBuildTemporalCli({ env }), cacheBin);
    assert.equal((await fs.readFile(count, 'utf8')).trim().split('\n').length, 1);
  });

  void test('a stale lock (dead pid) does not block the build', { timeout: 30_000 }, async () => {
    const { env, cacheBin } = await fakeGo();
    await fs.mkdir(path.dirname(cacheBin), { recursive: true });
    await fs.writeFile(path.join(path.dirname(cacheBin), '.build.lock'), `999999999\n${Date.now()}\n`);
    assert.equal(await findOrBuildTemporalCli({ env }), cacheBin);
  });
});

void describe('temporal dev server', () => {
  void test('starts with search attributes, survives restart() on its db file, stop() ends it', { timeout: 120_000 }, async () => {
    const dir = await tempDir('sitesweep-temporal-');
    const t0 = Date.now();
    const server = await startTemporalDevServer({
      dbFilename: path.join(dir, 'temporal.db'),
      namespace: 'sitesweep-test',
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 50 },
    });
    cleanups.push(() => server.stop());
    const startMs = Date.now() - t0;
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(server.uiUrl, null);
    assert.equal(server.namespace, 'sitesweep-test');
    const pid1 = server.pid;
    assert.ok(pid1 && pidAlive(pid1));

    const attrs = await customAttributes(server.address, 'sitesweep-test');
    for (const name of SEARCH_ATTRIBUTES) assert.ok(name in attrs, `${name} registered`);
    assert.equal(await isTemporalReachable(server.address, 2_000), true);

    // A workflow with no worker stays open: it must still be there after the restart.
    const conn = await Connection.connect({ address: server.address });
    const client = new Client({ connection: conn, namespace: 'sitesweep-test' });
    const workflowId = `stack-test-${Date.now()}`;
    await client.workflow.start('noSuchWorkflow', {
      taskQueue: 'nobody-polls-this',
      workflowId,
      typedSearchAttributes: [{ key: defineSearchAttributeKey('SiteHost', SearchAttributeType.KEYWORD), value: 'example.com' }],
    });
    await conn.close();

    const t1 = Date.now();
    await server.restart();
    const restartMs = Date.now() - t1;
    assert.ok(!pidAlive(pid1), 'old process gone');
    assert.notEqual(server.pid, pid1);
    assert.equal(await isTemporalReachable(server.address, 2_000), true);

    const conn2 = await Connection.connect({ address: server.address });
    try {
      const client2 = new Client({ connection: conn2, namespace: 'sitesweep-test' });
      const desc = await client2.workflow.getHandle(workflowId).describe();
      assert.equal(desc.status.name, 'RUNNING');
      const ns = await conn2.workflowService.describeNamespace({ namespace: 'sitesweep-test' });
      assert.equal(ns.namespaceInfo?.name, 'sitesweep-test');
      // Visibility (search attributes) survives too.
      let found = 0;
      for (let i = 0; i < 50 && found === 0; i++) {
        found = (await client2.workflow.count(`SiteHost = "example.com"`)).count;
        if (found === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(found, 1);
      await client2.workflow.getHandle(workflowId).terminate('test done');
    } finally {
      await conn2.close();
    }

    const pid2 = server.pid;
    await server.stop();
    assert.ok(pid2 && !pidAlive(pid2), 'stop() ends the process');
    assert.equal(server.pid, null);
    assert.equal(await isTemporalReachable(server.address, 1_000), false);
    console.log(`temporal dev server: start ${startMs} ms, restart ${restartMs} ms`);
  });

  void test('ensureSearchAttributes adds the attributes to a new namespace, idempotently', { timeout: 60_000 }, async () => {
    const server = await startTemporalDevServer({});
    cleanups.push(() => server.stop());
    const conn = await Connection.connect({ address: server.address });
    try {
      await conn.workflowService.registerNamespace({ namespace: 'fresh-ns', workflowExecutionRetentionPeriod: msToTs('1 day') });
      for (let i = 0; i < 3; i++) await ensureSearchAttributes(conn, 'fresh-ns');
      const attrs = await customAttributes(server.address, 'fresh-ns');
      for (const name of SEARCH_ATTRIBUTES) assert.ok(name in attrs, `${name} registered`);
      // The worker passes its NativeConnection.
      await conn.workflowService.registerNamespace({ namespace: 'fresh-ns-2', workflowExecutionRetentionPeriod: msToTs('1 day') });
      const native = await NativeConnection.connect({ address: server.address });
      try {
        await Promise.all([ensureSearchAttributes(native, 'fresh-ns-2'), ensureSearchAttributes(conn, 'fresh-ns-2')]);
      } finally {
        await native.close();
      }
      const attrs2 = await customAttributes(server.address, 'fresh-ns-2');
      for (const name of SEARCH_ATTRIBUTES) assert.ok(name in attrs2, `${name} registered (native, concurrent)`);
    } finally {
      await conn.close();
      await server.stop();
    }
  });

  void test('UI is served when asked for', { timeout: 60_000 }, async () => {
    const server = await startTemporalDevServer({ ui: true });
    cleanups.push(() => server.stop());
    assert.ok(server.uiUrl);
    const res = await fetch(server.uiUrl);
    assert.equal(res.status, 200);
    await server.stop();
  });

  void test('SDK fallback (TestWorkflowEnvironment.createLocal) has the same interface', { timeout: 120_000 }, async () => {
    // Offline stand-in for the cached download: the same code path with an existing binary.
    const bin = await findOrBuildTemporalCli({ allowBuild: false });
    assert.ok(bin);
    const server = await startTemporalDevServer({ viaSdk: true, executable: bin });
    cleanups.push(() => server.stop());
    const attrs = await customAttributes(server.address, 'default');
    for (const name of SEARCH_ATTRIBUTES) assert.ok(name in attrs, `${name} registered`);
    await server.restart();
    assert.equal(await isTemporalReachable(server.address, 2_000), true);
    await server.stop();
    assert.equal(await isTemporalReachable(server.address, 1_000), false);
  });

  void test('an early exit fails with the server\'s stderr', { timeout: 60_000 }, async () => {
    const blocker = net.createServer((sock) => sock.destroy());
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startTemporalDevServer({ port }), /exited during startup[\s\S]*address already in use/);
    } finally {
      blocker.close();
    }
  });

  void test('isTemporalReachable is false on a closed port, quickly', async () => {
    const t0 = Date.now();
    assert.equal(await isTemporalReachable(`127.0.0.1:${await getFreePort()}`, 2_000), false);
    assert.ok(Date.now() - t0 < 1_500);
  });
});

void describe('embedded PostgreSQL', () => {
  void test('starts, answers select 1, stop()/start() keep the URL and the data', { timeout: 120_000 }, async () => {
    const t0 = Date.now();
    const db = await startLocalPostgres({ relaxedDurability: true });
    cleanups.push(() => db.dispose());
    const startMs = Date.now() - t0;
    assert.match(db.url, /^postgres:\/\/sitesweep:[^@]+@127\.0\.0\.1:\d+\/sitesweep$/);
    assert.equal(await selectOne(db.url), 1);

    const c = new pg.Client(db.url);
    await c.connect();
    await c.query('create table t (v text)');
    await c.query(`insert into t values ('kept')`);
    await c.end();

    // Code-point order (as under "C"), Unicode case in lower() and ILIKE (builtin C.UTF-8).
    const c1 = new pg.Client(db.url);
    await c1.connect();
    const { rows: [loc] } = await c1.query(
      `SELECT lower('ÉCOLE Ünïcode') AS lowered, 'CAFÉ' ILIKE 'café' AS ilike,
              (SELECT array_agg(v ORDER BY v) FROM unnest(ARRAY['é', 'b', 'Z', 'a']) v) AS sorted`,
    );
    await c1.end();
    assert.deepEqual(loc, { lowered: 'école ünïcode', ilike: true, sorted: ['Z', 'a', 'b', 'é'] });
    // No data checksums (INITDB_CHECKSUM_FLAGS): summarize's first read of a run's rows would WAL-log every page.
    const c3 = new pg.Client(db.url);
    await c3.connect();
    assert.equal((await c3.query<{ data_checksums: string }>('SHOW data_checksums')).rows[0].data_checksums, 'off');
    await c3.end();

    await db.stop();
    await assert.rejects(selectOne(db.url));
    const t1 = Date.now();
    await db.start();
    const restartMs = Date.now() - t1;
    assert.equal(await selectOne(db.url), 1);
    const c2 = new pg.Client(db.url);
    await c2.connect();
    assert.equal((await c2.query<{ v: string }>('select v from t')).rows[0].v, 'kept');
    await c2.end();

    // One database per test file on a shared server.
    const other = await createDatabase(db.adminUrl, 'file_a');
    assert.equal(await createDatabase(db.adminUrl, 'file_a'), other, 'idempotent');
    assert.match(other, /\/file_a$/);
    assert.equal(await selectOne(other), 1);
    const holder = new pg.Client(other);
    await holder.connect();
    holder.on('error', () => undefined); // dropped with (force) below
    await dropDatabase(db.adminUrl, 'file_a');
    await assert.rejects(selectOne(other));
    await holder.end().catch(() => undefined);

    await db.dispose();
    await assert.rejects(fs.access(db.dataDir), 'ephemeral data dir removed');
    console.log(`postgres: start (initdb + start) ${startMs} ms, restart ${restartMs} ms`);
  });

  void test('persistent cluster: initialised once, reused on the next start', { timeout: 120_000 }, async () => {
    // Under the home dir, as the CLI does; as root, that dir is unreachable for the postgres user (falls back to /tmp).
    const home = await fs.mkdtemp(path.join(os.homedir(), '.sitesweep-test-'));
    cleanups.push(() => fs.rm(home, { recursive: true, force: true }));
    const requested = path.join(home, 'pg');
    const a = await startLocalPostgres({ dataDir: requested, persistent: true });
    cleanups.push(() => a.stop());
    if (a.dataDir !== requested) cleanups.push(() => fs.rm(a.dataDir, { recursive: true, force: true }));
    const c = new pg.Client(a.url);
    await c.connect();
    await c.query('create table kept (v int)');
    await c.query('insert into kept values (42)');
    await c.end();
    await a.stop();

    const t0 = Date.now();
    const b = await startLocalPostgres({ dataDir: requested, persistent: true });
    cleanups.push(() => b.stop());
    const ms = Date.now() - t0;
    assert.equal(b.dataDir, a.dataDir, 'same data dir on the second run');
    const c2 = new pg.Client(b.url);
    await c2.connect();
    assert.equal((await c2.query<{ v: number }>('select v from kept')).rows[0].v, 42);
    await c2.end();
    await b.stop();
    assert.ok(ms < 5_000, `second start skips initdb (${ms} ms)`);
  });
});

void describe('bringUpStack', () => {
  void test('reuses a reachable TEMPORAL_ADDRESS, starts PostgreSQL, stop() stops only what it started', { timeout: 120_000 }, async () => {
    const server = await startTemporalDevServer({});
    cleanups.push(() => server.stop());
    const home = await tempDir('sitesweep-home-');
    const config = loadConfig({ TEMPORAL_ADDRESS: server.address, SITESWEEP_HOME: home });
    const stack = await bringUpStack({ config, preferDefaultPorts: false });
    cleanups.push(() => stack.stop());
    if (stack.postgres && stack.postgres.dataDir !== path.join(home, 'pg')) {
      const d = stack.postgres.dataDir;
      cleanups.push(() => fs.rm(d, { recursive: true, force: true }));
    }
    assert.equal(stack.temporalAddress, server.address);
    assert.deepEqual(stack.started, ['postgres']);
    assert.equal(await selectOne(stack.databaseUrl), 1);
    await stack.stop();
    assert.equal(await isTemporalReachable(server.address, 2_000), true, 'the server we did not start keeps running');
    await assert.rejects(selectOne(stack.databaseUrl));
    await server.stop();
  });

  void test('starts a dev server with UI and a persistent db file when nothing is configured', { timeout: 120_000 }, async () => {
    const home = await tempDir('sitesweep-home-');
    const dbUrl = 'postgres://x:y@127.0.0.1:1/none'; // not contacted: DATABASE_URL is taken as given
    const config = loadConfig({ SITESWEEP_HOME: home, DATABASE_URL: dbUrl });
    const stack = await bringUpStack({ config, wantUi: true, preferDefaultPorts: false });
    cleanups.push(() => stack.stop());
    assert.deepEqual(stack.started, ['temporal']);
    assert.equal(stack.databaseUrl, dbUrl);
    assert.ok(stack.temporalUiUrl);
    assert.equal(stack.temporalServer?.dbFilename, path.join(home, 'temporal.db'));
    assert.deepEqual(Object.keys(await customAttributes(stack.temporalAddress, 'default')).filter((k) => (SEARCH_ATTRIBUTES as readonly string[]).includes(k)).sort(), [...SEARCH_ATTRIBUTES].sort());
    await fs.access(path.join(home, 'temporal.db'));
    await stack.stop();
    assert.equal(await isTemporalReachable(stack.temporalAddress, 1_000), false);
  });
});
