// The worker's memory settings live in src/workerMemory.ts; the command lines that cannot import them (npm script,
// image, compose file) must say the same.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CLI_NODE_FLAGS, needsWorkerMemorySettings, WORKER_MALLOC_ARENA_MAX, WORKER_NODE_FLAGS, workerMemoryEnv } from '../../src/workerMemory';

const ROOT = path.join(__dirname, '..', '..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

test('npm run worker, the image and the compose file start workers with the same memory settings', () => {
  const script = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.worker;
  assert.ok(script.includes(`MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX:-${WORKER_MALLOC_ARENA_MAX}}`), script);
  assert.ok(script.includes(`NODE_OPTIONS="${WORKER_NODE_FLAGS.join(' ')} \${NODE_OPTIONS:-}"`), script);
  assert.match(read('Dockerfile'), new RegExp(`^ENV MALLOC_ARENA_MAX=${WORKER_MALLOC_ARENA_MAX}$`, 'm'));
  const command = /^\s+command: (\[.*"dist\/src\/worker\.js"\])$/m.exec(read('docker-compose.yml'));
  assert.ok(command, 'the compose worker command');
  assert.deepEqual(JSON.parse(command[1]), ['node', ...WORKER_NODE_FLAGS, 'dist/src/worker.js']);
});

test('npm run audit / stack / sitesweep run their in-process worker with the CLI\'s memory settings', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  for (const name of ['audit', 'stack', 'sitesweep']) {
    assert.ok(scripts[name].startsWith(`MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX:-${WORKER_MALLOC_ARENA_MAX}} NODE_OPTIONS="${CLI_NODE_FLAGS.join(' ')} \${NODE_OPTIONS:-}" node --import tsx src/cli.ts`), scripts[name]);
  }
  // Not through tsx's own command: it relays Ctrl-C to its child, and a child whose event loop is busy for 30 ms gets it
  // twice (the second stopped the CLI at once, the run left running) or, after 60 ms, SIGKILL (a draining worker too).
  for (const name of ['audit', 'stack', 'sitesweep', 'worker', 'api', 'migrate']) assert.match(scripts[name], /\bnode --import tsx src\//, name);
  // `npm run sitesweep -- worker` starts the worker again: with the worker's flags, not the CLI's (a user's own still win).
  const env = workerMemoryEnv({ NODE_OPTIONS: `${CLI_NODE_FLAGS.join(' ')} --max-old-space-size=200` });
  assert.equal(env.NODE_OPTIONS, `${WORKER_NODE_FLAGS.join(' ')} --max-old-space-size=200`);
});

test('the environment of a worker started again: the settings, the user\'s own NODE_OPTIONS after them, once', () => {
  const env = workerMemoryEnv({ NODE_OPTIONS: '--max-old-space-size=512', PATH: '/bin' });
  assert.equal(env.NODE_OPTIONS, `${WORKER_NODE_FLAGS.join(' ')} --max-old-space-size=512`);
  assert.equal(env.MALLOC_ARENA_MAX, WORKER_MALLOC_ARENA_MAX);
  assert.equal(env.PATH, '/bin');
  assert.equal(workerMemoryEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX, '4');
  assert.equal(workerMemoryEnv({}).NODE_OPTIONS, WORKER_NODE_FLAGS.join(' '));
  assert.equal(needsWorkerMemorySettings({}), true);
  assert.equal(needsWorkerMemorySettings(env), false);
});
