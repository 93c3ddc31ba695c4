// The API's operations as subcommands (batch, runs, report, compare, export, cancel, worker, api), run as a user runs
// them against the test stack's Temporal server and a fresh database: results match what the API answers, bad input
// is one line naming the field and exit 2.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { getFreePort } from '../../src/stack';
import { WORKER_MALLOC_ARENA_MAX, WORKER_NODE_FLAGS } from '../../src/workerMemory';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { cliResult, spawnCli as spawnHelperCli } from '../helpers/cli';
import { createTestDatabase, requireEnv, uid, waitFor, type TestDb } from '../helpers/stack';

let site: FixtureSite;
let tdb: TestDb;
let queue: string;
const children: ChildProcess[] = [];

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'),
  TEMPORAL_TASK_QUEUE: queue,
  DATABASE_URL: tdb.url,
  FETCH_RETRIES: '0',
  ...extra,
});

function spawnCli(args: string[], extra: Record<string, string> = {}): ChildProcess {
  const child = spawnHelperCli(args, env(extra));
  children.push(child);
  return child;
}

/** Processes whose parent is `pid` (from /proc/<pid>/stat: the field after the parenthesised command is the state, then the ppid). */
function childPids(pid: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false; // ended meanwhile
    }
  }).map(Number);
}

function cli(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return cliResult(spawnCli(args, extra));
}

before(async () => {
  site = await startFixtureSite({ slowMs: 10 });
  tdb = await createTestDatabase('clicmd');
  queue = `clicmd-${uid()}`;
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await tdb?.close();
  await site?.close();
});

let firstRun: string;
let batchRun: string;

test('audit, then batch of the same site: each completes; runs lists both', async () => {
  const a = await cli(['audit', site.origin, '--allow-private', '--max-pages', '8', '--json']);
  assert.equal(a.code, 0, a.stderr.slice(-2000));
  firstRun = (JSON.parse(a.stdout.slice(0, a.stdout.lastIndexOf('}') + 1)) as { runId: string }).runId;

  const b = await cli(['batch', site.origin, '--allow-private', '--max-pages', '8', '--json']);
  assert.equal(b.code, 0, b.stderr.slice(-2000));
  assert.match(b.stderr, /Batch [0-9a-f-]+ started/);
  const view = JSON.parse(b.stdout) as { status: string; completedDomains: number; domainStatuses: Record<string, { status: string; runId: string; pagesAudited: number }> };
  assert.equal(view.status, 'completed');
  assert.equal(view.completedDomains, 1);
  const [domain] = Object.values(view.domainStatuses);
  assert.equal(domain.status, 'completed');
  assert.equal(domain.pagesAudited, 8);
  batchRun = domain.runId;

  const runs = await cli(['runs', '--json']);
  assert.equal(runs.code, 0, runs.stderr);
  const items = (JSON.parse(runs.stdout) as { items: Array<{ runId: string; status: string }> }).items;
  assert.deepEqual(items.map((r) => r.runId), [batchRun, firstRun], 'newest first');
  assert.ok(items.every((r) => r.status === 'completed'));
  const table = await cli(['runs', '--status', 'completed', '--limit', '1']);
  assert.equal(table.code, 0, table.stderr);
  assert.equal(table.stdout.trim().split('\n').length, 1);
  assert.match(table.stdout, new RegExp(`^${batchRun}\\s+completed\\s+8 pages`));
});

test('report, compare and export read the finished runs as the API does', async () => {
  const rep = await cli(['report', batchRun, '--json']);
  assert.equal(rep.code, 0, rep.stderr);
  const report = JSON.parse(rep.stdout) as { runId: string; healthScore: number; pages: number; issues: Array<{ code: string }> };
  assert.equal(report.runId, batchRun);
  assert.equal(report.pages, 8);
  const [{ n: withFindings }] = await tdb.db.query(`SELECT count(DISTINCT i->>'code')::int AS n FROM page_audits p CROSS JOIN LATERAL jsonb_array_elements(p.issues) i WHERE run_id = $1`, [batchRun]);
  assert.ok(report.issues.length >= withFindings && withFindings > 0);
  const html = path.join(mkdtempSync(path.join(os.tmpdir(), 'clicmd-')), 'r.html');
  const human = await cli(['report', batchRun, '--html', html]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`health score ${report.healthScore} \\(\\d+ of 8 pages`));
  const [{ kinds }] = await tdb.db.query(`SELECT count(DISTINCT code)::int AS kinds FROM site_issues WHERE run_id = $1`, [batchRun]);
  assert.ok(kinds > 0, 'the fixture has site findings');
  assert.match(human.stdout, /\n {2}site-level findings \(one per link target or group of pages\), examples \(\d+ in all; the report lists every one\)\n/);
  assert.match(readFileSync(html, 'utf8'), /<html/);

  const cmp = await cli(['compare', batchRun, '--json']);
  assert.equal(cmp.code, 0, cmp.stderr);
  const c = JSON.parse(cmp.stdout) as { withRunId: string; counts: { new: number; fixed: number; persisting: number } };
  assert.equal(c.withRunId, firstRun, 'the previous run of the site');
  assert.equal(c.counts.new, 0);
  assert.equal(c.counts.fixed, 0);
  assert.ok(c.counts.persisting > 0);

  const exp = await cli(['export', batchRun, '--type', 'issues']);
  assert.equal(exp.code, 0, exp.stderr);
  assert.match(exp.stdout, /^url,code,severity/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'clicmd-exp-'));
  const all = await cli(['export', batchRun, '--output-dir', dir, '--format', 'json']);
  assert.equal(all.code, 0, all.stderr);
  for (const t of ['pages', 'issues', 'links']) assert.ok(existsSync(path.join(dir, `${t}.json`)), t);
  assert.equal((JSON.parse(readFileSync(path.join(dir, 'pages.json'), 'utf8')) as unknown[]).length, 8);
});

test('bad input: one line naming the field, exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['runs', '--status', 'done'], /status: /],
    [['report', '00000000-0000-4000-8000-000000000000'], /run 00000000-0000-4000-8000-000000000000 not found|not found/i],
    [['compare', batchRun, '--with', batchRun], /with: must be another run/],
    [['export', batchRun, '--type', 'images'], /type: /],
    [['cancel', batchRun], /run is completed/],
    [['batch', 'ftp://example.com', '--allow-private'], /domains\[0\]: must be an http\(s\) URL or a host name/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM audit_batches`);
  assert.equal(n, 1, 'only the first test\'s batch');
});

test('worker and api subcommands serve a run started over HTTP; cancel stops a running one', async () => {
  const port = await getFreePort();
  const extra = { ALLOW_PRIVATE_TARGETS: 'true' };
  const worker = spawnCli(['worker'], extra);
  const api = spawnCli(['api', '--port', String(port)], extra);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok, 30_000, 250);
  // The worker runs in a process of its own, started with the memory settings `npm run worker` gives it.
  const workerEnv = await waitFor(async () => {
    const pid = childPids(worker.pid!)[0];
    return pid === undefined ? null : new Map(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  }, 30_000, 100);
  assert.equal(workerEnv.get('MALLOC_ARENA_MAX'), WORKER_MALLOC_ARENA_MAX);
  assert.ok(workerEnv.get('NODE_OPTIONS')?.startsWith(WORKER_NODE_FLAGS.join(' ')), workerEnv.get('NODE_OPTIONS'));
  // Crawl-delay of 1 s: twenty pages take at least 19 s, time enough for a CLI process to start and cancel even on a
  // loaded machine (eight pages were not: the run sometimes ended first).
  const res = await fetch(`${base}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: site.origin, options: { maxPages: 20, crawlDelayMs: 1000 } }) });
  assert.equal(res.status, 202);
  const { runId } = (await res.json()) as { runId: string };
  await waitFor(async () => ((await (await fetch(`${base}/api/runs/${runId}`)).json()) as { counters: { audited: number } }).counters.audited >= 1, 30_000, 250);
  const cancel = await cli(['cancel', runId]);
  assert.equal(cancel.code, 0, cancel.stderr);
  // It waits for the worker to carry the cancellation out, so it can say the run is cancelled (it said "cancelling").
  assert.match(cancel.stdout, new RegExp(`run ${runId}: cancelled \\(workflow `));
  const final = await waitFor(async () => {
    const v = (await (await fetch(`${base}/api/runs/${runId}`)).json()) as { status: string; counters: { audited: number } };
    return v.status === 'cancelled' ? v : null;
  }, 30_000, 250);
  assert.ok(final.counters.audited < 20, 'stopped before the end');
  // The crawl step stops fetching the site within seconds of the cancel: it learns of it from a heartbeat's answer,
  // which the SDK sent only every 24 s (80% of the heartbeat timeout), so it went on at a page a second that long.
  const cancelledAt = Date.now();
  await new Promise((r) => setTimeout(r, 8_000));
  const late = site.requests.filter((r) => r.at > cancelledAt + 4_000).map((r) => r.path);
  assert.deepEqual(late, [], 'requests to the site 4-8 s after the run was cancelled');
  for (const child of [worker, api]) {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, 'a clean stop on SIGTERM');
  }
});
