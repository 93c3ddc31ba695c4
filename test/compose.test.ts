// docker-compose.yml: valid for docker-compose 1.29 (`config -q`), has the services the README names,
// and gives api/worker/migrate only environment variables that src/config.ts reads (and accepts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { envSchema, loadConfig } from '../src/config';

const ROOT = path.resolve(__dirname, '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const APP_SERVICES = ['api', 'worker', 'migrate'];
const ALL_SERVICES = ['postgres', 'temporal-schema', 'temporal', 'temporal-admin-tools', 'temporal-ui', ...APP_SERVICES];

function compose(args: string[], vars: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Empty API_TOKEN and SECRETS_KEY keep the interpolation deterministic whatever the caller's environment.
    const env = { ...process.env, API_TOKEN: '', SECRETS_KEY: '', ...vars };
    execFile('docker-compose', ['-f', COMPOSE_FILE, ...args], { cwd: ROOT, env, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function hasDockerCompose(): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, 'docker-compose')));
}
const skip = hasDockerCompose() ? false : 'docker-compose is not installed';

/** The block of lines under `key:` at `indent` spaces (the YAML `docker-compose config` prints is regular). */
function block(lines: string[], key: string, indent: number): string[] {
  const start = lines.findIndex((l) => l === `${' '.repeat(indent)}${key}:`);
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() && line.length - line.trimStart().length <= indent) break;
    out.push(line);
  }
  return out;
}

/** environment of a service as key → value, parsed from `docker-compose config`. */
function serviceEnv(configYaml: string, service: string): Record<string, string> {
  const svc = block(block(configYaml.split('\n'), 'services', 0), service, 2);
  const env: Record<string, string> = {};
  for (const line of block(svc, 'environment', 4)) {
    const m = /^ {6}([A-Z0-9_]+): ?(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return env;
}

void test('docker-compose config -q passes', { skip }, async () => {
  const res = await compose(['config', '-q']);
  assert.equal(res.code, 0, res.stderr);
});

void test('compose defines every service', { skip }, async () => {
  const res = await compose(['config', '--services']);
  assert.equal(res.code, 0, res.stderr);
  const services = res.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  for (const s of ALL_SERVICES) assert.ok(services.includes(s), `service ${s}`);
});

void test('api/worker/migrate get only variables the code reads, and valid values', { skip }, async () => {
  const res = await compose(['config']);
  assert.equal(res.code, 0, res.stderr);
  const known = new Set(Object.keys(envSchema.shape));
  for (const service of APP_SERVICES) {
    const env = serviceEnv(res.stdout, service);
    for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'NODE_ENV']) {
      assert.ok(key in env, `${service} sets ${key}`);
    }
    for (const key of Object.keys(env)) assert.ok(known.has(key), `${service}: ${key} is not read by src/config.ts`);
    const config = loadConfig(env);
    assert.equal(config.temporal.address, 'temporal:7233');
    assert.equal(config.production, true);
    assert.match(config.databaseUrl ?? '', /@postgres:5432\/sitesweep$/);
  }
  const api = loadConfig(serviceEnv(res.stdout, 'api'));
  assert.equal(api.api.host, '0.0.0.0', 'the API must listen beyond the container loopback');
  assert.match(res.stdout, new RegExp(`:${api.api.port}:${api.api.port}/tcp`), 'API port published');
});

void test('api and worker get the one SECRETS_KEY of the environment, so runs with credentials work under compose', { skip }, async () => {
  const key = 'k'.repeat(32);
  const res = await compose(['config'], { SECRETS_KEY: key });
  assert.equal(res.code, 0, res.stderr);
  for (const service of ['api', 'worker']) assert.equal(loadConfig(serviceEnv(res.stdout, service)).crawl.secretsKey, key, service);
  const unset = await compose(['config']);
  assert.equal(loadConfig(serviceEnv(unset.stdout, 'worker')).crawl.secretsKey, undefined, 'empty means unset');
});

void test('postgres sorts text by code point and knows Unicode case, as the local stack does', { skip }, async () => {
  const res = await compose(['config']);
  assert.equal(res.code, 0, res.stderr);
  const args = (serviceEnv(res.stdout, 'postgres').POSTGRES_INITDB_ARGS ?? '').split(/\s+/);
  for (const flag of ['--encoding=UTF8', '--lc-collate=C', '--lc-ctype=C.UTF-8']) assert.ok(args.includes(flag), `POSTGRES_INITDB_ARGS has ${flag}: ${args.join(' ')}`);
});

void test('app services wait for migrations and search attributes; Temporal waits for its schema', { skip }, async () => {
  const res = await compose(['config']);
  const lines = block(res.stdout.split('\n'), 'services', 0);
  for (const service of ['api', 'worker']) {
    const deps = block(block(lines, service, 2), 'depends_on', 4).join('\n');
    assert.match(deps, /migrate:\n\s+condition: service_completed_successfully/, `${service} waits for migrate`);
    assert.match(deps, /temporal-admin-tools:\n\s+condition: service_completed_successfully/, `${service} waits for search attributes`);
  }
  // Maintained Temporal images: the server image on a schema set up by admin-tools, not the deprecated auto-setup.
  assert.match(block(lines, 'temporal', 2).join('\n'), /image: temporalio\/server:/);
  assert.doesNotMatch(res.stdout, /temporalio\/auto-setup/);
  assert.match(block(block(lines, 'temporal', 2), 'depends_on', 4).join('\n'), /temporal-schema:\n\s+condition: service_completed_successfully/);
  // The printed YAML folds long lines: check the script in the file itself.
  assert.match(fs.readFileSync(COMPOSE_FILE, 'utf8'), /search-attribute create[^\n]*--type Keyword/);
});

// Compose runs dist/src/<x>.js: their sources must exist.
const entryPoints = ['src/worker.ts', 'src/api/server.ts', 'src/cli.ts'];
void test('the commands in compose and the Dockerfile point at real entry points', () => {
  assert.deepEqual(entryPoints.filter((f) => !fs.existsSync(path.join(ROOT, f))), []);
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /FROM node:24-slim/);
  assert.match(dockerfile, /npm install/);
  assert.match(dockerfile, /npm run build/);
});

// README: `docker compose up --scale worker=N`. A fixed container_name or a published host port on the worker would
// make the second replica fail to start.
void test('the worker service can be scaled: no container_name, no host ports', { skip }, async () => {
  const res = await compose(['config']);
  assert.equal(res.code, 0, res.stderr);
  const worker = block(block(res.stdout.split('\n'), 'services', 0), 'worker', 2);
  assert.ok(worker.length > 0, 'a worker service');
  const keys = worker.filter((l) => /^ {4}[a-z_]+:/.test(l)).map((l) => l.trim().replace(/:.*$/, ''));
  assert.ok(keys.includes('image') || keys.includes('build'), keys.join(', '));
  assert.ok(!keys.includes('container_name'), 'container_name');
  assert.ok(!keys.includes('ports'), 'ports');
});
