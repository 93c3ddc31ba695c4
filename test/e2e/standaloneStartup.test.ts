// `npm run worker` and `npm run api` (the standalone processes of the README's "Running N workers") when they cannot
// start: one paragraph on stderr that names what failed and what to do, exit 1, and no stack trace (they printed one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { closedPort } from '../../src/stack';
import { createTestDatabase, type TestDb } from '../helpers/stack';

const ROOT = path.resolve(__dirname, '../..');
let tdb: TestDb;

before(async () => {
  tdb = await createTestDatabase('startup');
});
after(async () => {
  await tdb?.close();
});

function start(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const { DATABASE_URL: _d, TEMPORAL_ADDRESS: _t, ...rest } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script)], {
    cwd: ROOT, env: { ...rest, LOG_LEVEL: 'info', METRICS_PORT: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const noStack = (text: string) => assert.doesNotMatch(text, /^\s+at /m, 'no stack trace');

test('worker and api without DATABASE_URL, or with one nobody answers: what to set, exit 1', async () => {
  for (const [script, name] of [['src/worker.ts', 'worker'], ['src/api/server.ts', 'api']] as const) {
    const missing = await start(script, {});
    assert.equal(missing.code, 1, missing.stderr);
    assert.equal(missing.stderr, `sitesweep ${name} could not start: DATABASE_URL is required for a standalone ${name === 'api' ? 'API' : 'worker'} (\`npm run stack\` starts everything locally).\n`);
    const down = await start(script, { DATABASE_URL: `postgres://sitesweep:secret-pw@127.0.0.1:${await closedPort()}/sitesweep` });
    assert.equal(down.code, 1, down.stderr);
    assert.match(down.stderr, new RegExp(`^sitesweep ${name} could not start: Could not reach PostgreSQL \\(connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\\)\\. Set DATABASE_URL to a PostgreSQL server`));
    assert.ok(!down.stderr.includes('secret-pw'), 'the password is not printed');
    noStack(down.stderr);
  }
});

test('a Temporal server nobody answers, or a bad setting: named, exit 1, no stack trace', async () => {
  for (const script of ['src/worker.ts', 'src/api/server.ts']) {
    const res = await start(script, { DATABASE_URL: tdb.url, TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}` });
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /could not start: Could not reach Temporal \(.+\)\. Set TEMPORAL_ADDRESS/, script);
    noStack(res.stderr);
  }
  const bad = await start('src/api/server.ts', { DATABASE_URL: tdb.url, API_PORT: 'eighty' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^sitesweep api could not start: Invalid configuration:\n {2}API_PORT: /);
  noStack(bad.stderr);
});
