// The CLI on a local stack it brings up itself (its own Temporal dev server and PostgreSQL, state in a temporary
// SITESWEEP_HOME). Ctrl-C in a terminal while `sitesweep audit` runs signals the whole foreground process group: the
// command must cancel the run, wait until its workflow has closed, then stop what it started, and exit 130. It used to
// send the cancellation and stop its worker at once (the run stayed "running"), and its Temporal dev server and
// PostgreSQL, in its process group, took the same SIGINT and shut down under it (exit 1, "The database is
// unreachable", log lines on stdout).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { closedPort } from '../../src/stack';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { cliResult, runCli, spawnCli } from '../helpers/cli';
import { waitFor } from '../helpers/stack';

let site: SlowSite;
let home: string;

before(async () => {
  site = await startSlowSite({ pages: 200, delayMs: 300 });
  home = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-sigint-'));
});
after(async () => {
  await site?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Processes whose command line names this test's state directory (its Temporal dev server and PostgreSQL). */
const leftovers = () => execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(home) && !l.includes(' ps '));

/**
 * The ports of the Temporal server and PostgreSQL the command says it brought up (as root, PostgreSQL's data dir is
 * under /tmp, not `home`, so the process list alone would not show it), and whether anything still answers there.
 */
function stackPorts(stderr: string): number[] {
  const m = /Temporal 127\.0\.0\.1:(\d+) .*PostgreSQL postgres:\/\/[^@]+@127\.0\.0\.1:(\d+)\//.exec(stderr);
  assert.ok(m, stderr.slice(0, 2000));
  return [Number(m[1]), Number(m[2])];
}
const answers = (port: number) => new Promise<boolean>((resolve) => {
  const socket = net.connect(port, '127.0.0.1', () => {
    socket.destroy();
    resolve(true);
  });
  socket.on('error', () => resolve(false));
});

test('Ctrl-C to the whole process group: the run ends cancelled, exit 130, and everything the command started stops', { timeout: 240_000 }, async () => {
  const { DATABASE_URL: _d, TEMPORAL_ADDRESS: _t, ...rest } = process.env;
  // An unreachable TEMPORAL_ADDRESS makes the command start its own dev server (state in `home`), whatever else runs.
  const env = { ...rest, TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}`, SITESWEEP_HOME: home, FETCH_RETRIES: '0' };
  const child = spawnCli(['audit', site.origin, '--allow-private', '--per-host-concurrency', '1', '--key', 'sigint-1'], env, undefined, { detached: true });
  const result = cliResult(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  await waitFor(async () => site.requests.filter((r) => r.path.startsWith('/p/')).length >= 3, 120_000, 200);
  process.kill(-child.pid!, 'SIGINT'); // what a terminal's Ctrl-C does: the whole foreground group
  const res = await result;
  assert.equal(res.code, 130, res.stderr.slice(-3000));
  const runId = /Run ([0-9a-f-]{36}) started/.exec(res.stderr)?.[1];
  assert.ok(runId, res.stderr);
  assert.match(res.stderr, new RegExp(`Run ${runId} cancelled\\.`));
  assert.doesNotMatch(res.stdout, /"level":/, 'no log lines on stdout');
  // Nor JSON warnings on stderr after "Run … cancelled.": the crawl step that ends after the run is Core's to note.
  assert.doesNotMatch(res.stderr, /"level":/, res.stderr.slice(-3000));
  assert.doesNotMatch(res.stderr, /unreachable/);
  await waitFor(async () => leftovers().length === 0, 30_000, 250).catch(() => assert.deepEqual(leftovers(), [], 'processes left running'));
  for (const port of stackPorts(res.stderr)) assert.equal(await answers(port), false, `nothing answers on ${port} any more`);
  const audited = site.requests.length;
  // The run's state, as the next command sees it (the same local stack, brought up again).
  const runs = await runCli(['runs', '--json'], env);
  assert.equal(runs.code, 0, runs.stderr.slice(-2000));
  const run = (JSON.parse(runs.stdout) as { items: Array<{ runId: string; status: string }> }).items.find((r) => r.runId === runId);
  assert.equal(run?.status, 'cancelled');
  assert.ok(site.requests.length === audited, 'nothing crawled after the command ended');
  await waitFor(async () => leftovers().length === 0, 30_000, 250);
});

test('Ctrl-C while the command is still bringing its stack up: no run is started, and nothing is left running', { timeout: 240_000 }, async () => {
  const { DATABASE_URL: _d, TEMPORAL_ADDRESS: _t, ...rest } = process.env;
  const env = { ...rest, TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}`, SITESWEEP_HOME: home, FETCH_RETRIES: '0' };
  const child = spawnCli(['audit', site.origin, '--allow-private', '--key', 'sigint-startup'], env, undefined, { detached: true });
  const result = cliResult(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  // The Temporal server is up; PostgreSQL, migrations and the worker are still to come.
  await waitFor(async () => stderr.includes('temporal dev server ready'), 120_000, 20);
  process.kill(-child.pid!, 'SIGINT');
  const res = await result;
  assert.equal(res.code, 130, res.stderr.slice(-3000));
  assert.match(res.stderr, /Interrupted before the run started: no run was started\./);
  assert.doesNotMatch(res.stderr, /Run [0-9a-f-]{36} started/);
  await waitFor(async () => leftovers().length === 0, 30_000, 250).catch(() => assert.deepEqual(leftovers(), [], 'processes left running'));
  for (const port of stackPorts(res.stderr)) assert.equal(await answers(port), false, `nothing answers on ${port} any more`);
  const runs = await runCli(['runs', '--json'], env);
  assert.equal(runs.code, 0, runs.stderr.slice(-2000));
  const items = (JSON.parse(runs.stdout) as { items: Array<{ workflowId: string }> }).items;
  assert.ok(items.length > 0, 'the runs of the tests before are listed');
  assert.ok(!items.some((r) => r.workflowId.endsWith(':sigint-startup')), 'no run was started');
  await waitFor(async () => leftovers().length === 0, 30_000, 250);
});

test('batch --no-wait on a local stack the command starts itself says that nothing runs the batch until a worker does', { timeout: 120_000 }, async () => {
  const { DATABASE_URL: _d, TEMPORAL_ADDRESS: _t, ...rest } = process.env;
  const env = { ...rest, TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}`, SITESWEEP_HOME: home, FETCH_RETRIES: '0' };
  const res = await runCli(['batch', site.origin, '--allow-private', '--no-wait', '--key', 'nowait-1'], env);
  assert.equal(res.code, 0, res.stderr.slice(-2000));
  assert.match(res.stdout, /^[0-9a-f-]{36}\n$/, 'the batch id');
  assert.match(res.stderr, /Nothing runs it until a worker does: this command started the local Temporal server and stops it now/);
  await waitFor(async () => leftovers().length === 0, 30_000, 250);
});

test('migrate on the local stack starts PostgreSQL only (it started a Temporal dev server too) and stops it', { timeout: 120_000 }, async () => {
  const { DATABASE_URL: _d, TEMPORAL_ADDRESS: _t, ...rest } = process.env;
  const res = await runCli(['migrate'], { ...rest, TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}`, SITESWEEP_HOME: home, TEMPORAL_CLI_PATH: '/nonexistent/temporal' });
  assert.equal(res.code, 0, res.stderr.slice(-2000));
  assert.match(res.stdout, /^Migrations applied: InitialSchema1700000000000, .*LinkFindingTargets1700000018000/);
  await waitFor(async () => leftovers().length === 0, 30_000, 250);
});
