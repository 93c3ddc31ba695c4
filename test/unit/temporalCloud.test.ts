// Issue 12 part 7 (no servers): envconfig settings reach config.temporal (TLS, API key, profile namespace), its errors are
// reported, search-attribute registration tolerates a server that forbids it, and the CLI's task-queue rule.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, withLocalTemporal } from '../../src/config';
import { ensureSearchAttributes, SEARCH_ATTRIBUTES } from '../../src/stack';
import { clientConnectionOptions, nativeConnectionOptions } from '../../src/temporal/connectionOptions';
import { cliTaskQueue } from '../../src/temporal/isolation';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-envconfig-'));
const toml = path.join(dir, 'temporal.toml');
writeFileSync(
  toml,
  `[profile.default]\naddress = "localhost:7233"\n\n[profile.cloud]\naddress = "acme.a1b2c.tmprl.cloud:7233"\nnamespace = "acme.a1b2c"\napi_key = "secret-api-key"\n[profile.cloud.grpc_meta]\nx-team = "seo"\n`,
);
// Only the variables a test gives: no stray TEMPORAL_* from the harness.
const base = { TEMPORAL_CONFIG_FILE: toml, HOME: dir };

test('a profile gives address, namespace, API key (hence TLS) and gRPC metadata to every connection', () => {
  const c = loadConfig({ ...base, TEMPORAL_PROFILE: 'cloud' });
  assert.equal(c.temporal.address, 'acme.a1b2c.tmprl.cloud:7233');
  assert.equal(c.temporal.namespace, 'acme.a1b2c');
  assert.equal(c.temporal.connection.apiKey, 'secret-api-key');
  assert.equal(c.temporal.connection.tls, true, 'an API key turns TLS on');
  assert.deepEqual(c.temporal.connection.metadata, { 'x-team': 'seo' });
  for (const o of [clientConnectionOptions(c.temporal.connection), nativeConnectionOptions(c.temporal.connection)]) {
    assert.equal(o.address, 'acme.a1b2c.tmprl.cloud:7233');
    assert.equal(o.apiKey, 'secret-api-key');
    assert.equal(o.tls, true);
  }
});

test('environment overrides the profile; no profile and no variables = not configured, namespace "default"', () => {
  const c = loadConfig({ ...base, TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'other', TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS: 'false' });
  assert.equal(c.temporal.namespace, 'other');
  assert.equal(c.temporal.address, 'temporal.internal:7233');
  assert.equal(c.temporal.connection.tls, false);
  const none = loadConfig({ HOME: dir, TEMPORAL_CONFIG_FILE: path.join(dir, 'absent.toml') });
  assert.equal(none.temporal.address, undefined);
  assert.equal(none.temporal.namespace, 'default');
  assert.equal(none.temporal.connection.apiKey, undefined);
  // A server we start ourselves gets plain gRPC whatever the profile says.
  const local = withLocalTemporal(loadConfig({ ...base, TEMPORAL_PROFILE: 'cloud' }), '127.0.0.1:7233');
  assert.deepEqual(local.temporal.connection, { address: '127.0.0.1:7233' });
});

test('envconfig errors are reported: a missing profile, a malformed file', () => {
  assert.throws(() => loadConfig({ ...base, TEMPORAL_PROFILE: 'nope' }), (err: unknown) => err instanceof ConfigError && /profile "nope".*Profile 'nope' not found/.test(err.message));
  const bad = path.join(dir, 'bad.toml');
  writeFileSync(bad, '[profile.default\naddress = ');
  assert.throws(() => loadConfig({ HOME: dir, TEMPORAL_CONFIG_FILE: bad }), (err: unknown) => err instanceof ConfigError && /Invalid Temporal client configuration \(TEMPORAL_CONFIG_FILE=.*bad\.toml\)/.test(err.message));
});

function fakeOperator(opts: { list?: number; add?: number; existing?: string[] }) {
  const calls: string[] = [];
  const grpcError = (code: number) => Object.assign(new Error(`${code} PERMISSION_DENIED: Request unauthorized.`), { code });
  return {
    calls,
    operatorService: {
      async listSearchAttributes() {
        calls.push('list');
        if (opts.list) throw grpcError(opts.list);
        return { customAttributes: Object.fromEntries((opts.existing ?? []).map((n) => [n, 2])) };
      },
      async addSearchAttributes() {
        calls.push('add');
        if (opts.add) throw grpcError(opts.add);
        return {};
      },
    },
  } as any;
}

test('registering search attributes on a server that forbids it (Temporal Cloud: PermissionDenied) warns how to add them', async () => {
  const warnings: string[] = [];
  const log = { info: () => {}, debug: () => {}, error: () => {}, warn: (_o: unknown, m?: string) => void warnings.push(String(m)) };
  const cloud = fakeOperator({ add: 7 });
  assert.deepEqual(await ensureSearchAttributes(cloud, 'acme.a1b2c', log), [...SEARCH_ATTRIBUTES]);
  assert.deepEqual(cloud.calls, ['list', 'add']);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /tcld namespace search-attributes add --namespace acme\.a1b2c --search-attribute "SiteHost=Keyword"/);
  assert.match(warnings[0]!, /Cloud UI/);
  // A server that does not even let us list them.
  assert.deepEqual(await ensureSearchAttributes(fakeOperator({ list: 7 }), 'ns', log), [...SEARCH_ATTRIBUTES]);
  // Already there: nothing to add, no warning.
  assert.deepEqual(await ensureSearchAttributes(fakeOperator({ add: 7, existing: [...SEARCH_ATTRIBUTES] }), 'ns', log), []);
  assert.equal(warnings.length, 2);
  // Any other error still fails (e.g. 14 UNAVAILABLE).
  await assert.rejects(ensureSearchAttributes(fakeOperator({ add: 14 }), 'ns', log));
});

test('CLI task queue: private only when the database is local and the Temporal server may be shared', () => {
  const config = loadConfig({ HOME: dir, TEMPORAL_CONFIG_FILE: path.join(dir, 'absent.toml'), TEMPORAL_TASK_QUEUE: 'sitesweep' });
  const a = cliTaskQueue({ config, databaseFromEnv: false, temporalShared: true, home: '/h', hostname: 'm1' });
  assert.match(a.taskQueue, /^sitesweep-cli-[0-9a-f]{12}$/);
  assert.equal(cliTaskQueue({ config, databaseFromEnv: false, temporalShared: true, home: '/h', hostname: 'm1' }).taskQueue, a.taskQueue, 'stable per machine and home');
  assert.notEqual(cliTaskQueue({ config, databaseFromEnv: false, temporalShared: true, home: '/h', hostname: 'm2' }).taskQueue, a.taskQueue);
  assert.equal(cliTaskQueue({ config, databaseFromEnv: true, temporalShared: true, home: '/h' }).taskQueue, 'sitesweep');
  assert.equal(cliTaskQueue({ config, databaseFromEnv: false, temporalShared: false, home: '/h' }).taskQueue, 'sitesweep');
});

test('CLI task queue: a worker that may fetch loopback (--allow-private) never polls a shared queue', () => {
  const config = loadConfig({ HOME: dir, TEMPORAL_CONFIG_FILE: path.join(dir, 'absent.toml'), TEMPORAL_TASK_QUEUE: 'sitesweep', DATABASE_URL: 'postgres://u:pw@db.example/sitesweep' });
  const q = (o: { databaseFromEnv: boolean; temporalShared?: boolean; home?: string; allowPrivate?: boolean }) =>
    cliTaskQueue({ config, temporalShared: true, home: '/h', hostname: 'm1', ...o });
  // With the user's shared database, a strict worker joins the configured queue; a permissive one does not.
  assert.equal(q({ databaseFromEnv: true }).taskQueue, 'sitesweep');
  const open = q({ databaseFromEnv: true, allowPrivate: true });
  assert.match(open.taskQueue, /^sitesweep-cli-[0-9a-f]{12}$/);
  assert.match(open.reason, /--allow-private/);
  assert.doesNotMatch(open.reason, /pw|db\.example/, 'the database URL is hashed into the name, never shown');
  assert.equal(q({ databaseFromEnv: true, allowPrivate: true }).taskQueue, open.taskQueue, 'stable, so the next such CLI finishes what one left');
  // Neither the strict worker of the same home nor another database's permissive worker shares it.
  const strictLocal = q({ databaseFromEnv: false });
  const openLocal = q({ databaseFromEnv: false, allowPrivate: true });
  assert.equal(new Set([open.taskQueue, strictLocal.taskQueue, openLocal.taskQueue]).size, 3);
  // Our own dev server has no other workers.
  assert.equal(q({ databaseFromEnv: true, temporalShared: false, allowPrivate: true }).taskQueue, 'sitesweep');
});
