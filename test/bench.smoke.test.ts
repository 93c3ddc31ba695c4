// Smoke test of `npm run bench`: the whole benchmark, end to end, on a small site (300 URLs, one run, one small
// preloaded run) against the test stack. It asserts that every row, ratio and goal was produced and that the
// pipeline covered the site exactly; it asserts no timing (the machine is shared).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { siteProfile } from '../bench/fixtureSite';
import { requireEnv } from './helpers/stack';

const PAGES = 300;
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('npm run bench measures every variant and writes every ratio and goal', { timeout: 300_000 }, async () => {
  const resultsPath = path.join(dir, 'results.json');
  const env = {
    ...process.env,
    BENCH_PAGES: String(PAGES),
    BENCH_RUNS: '1',
    BENCH_PRELOAD_RUNS: '1',
    BENCH_PRELOAD_PAGES: '100',
    BENCH_RESULTS: resultsPath,
    // A round trip on every answer of the site (bench/fixtureSite.ts), so that path is exercised too; small enough
    // to keep the smoke short.
    BENCH_SITE_LATENCY_MS: '5',
    BENCH_TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'),
    BENCH_PG_ADMIN_URL: requireEnv('SITESWEEP_TEST_PG_ADMIN_URL'),
    BENCH_WORKFLOW_BUNDLE: requireEnv('WORKFLOW_BUNDLE_PATH'),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'bench', 'run.ts')], { env, cwd: path.join(__dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `bench failed:\n${out}`);

  // A readable table and the goals next to the measured values.
  assert.match(out, /variant\s+seconds\s+pages\/s\s+vs plain\s+vs checks/);
  assert.match(out, /Goals \(issue 9\)/);

  const r = JSON.parse(readFileSync(resultsPath, 'utf8'));
  assert.equal(r.config.siteLatencyMs, 5);
  assert.match(out, /site latency 5 ms/);
  const site = siteProfile(PAGES);
  assert.ok(site.error > 0 && site.not_found > 0 && site.redirect > 0, 'the fixture has defects at 300 URLs');
  assert.deepEqual(r.rows.map((x: any) => x.variant), ['plain', 'analyze', 'pipeline', 'pipeline-loaded']);
  assert.ok(r.plainPagesPerSec > 0 && r.checksPagesPerSec > 0);
  assert.equal(r.preload.length, 1);
  assert.equal(r.preload[0].rows, 100);
  for (const row of r.rows) {
    assert.equal(row.pages, PAGES);
    assert.ok(row.pagesPerSec > 0, `${row.variant} pages/s`);
    assert.ok(row.peakRssMb > 0, `${row.variant} RSS`);
    assert.ok(row.ratioVsPlain > 0 && row.ratioVsChecks > 0, `${row.variant} ratios`);
    assert.equal(row.runs.length, 1);
    assert.equal(row.runs[0].pages, PAGES);
    assert.equal(row.runs[0].failed, site.failing, `${row.variant}: the 500 pages end as failures`);
    // Where the CPU went, by thread, and (where the kernel keeps schedstat) how long each waited for a core.
    const th = row.runs[0].threads;
    assert.ok(th.main > 0, `${row.variant}: main-thread CPU`);
    if (existsSync('/proc/self/schedstat')) {
      assert.ok(th.waiting.main >= 0 && th.waiting.runtime >= 0, `${row.variant}: run-queue waits`);
      assert.equal(th.waiting.later.length, th.later.length, `${row.variant}: one wait per listed thread`);
    }
  }
  if (existsSync('/proc/self/schedstat')) assert.match(out, /waiting for a core: main [\d.]+ s, runtime helpers [\d.]+ s/);
  for (const row of r.rows.filter((x: any) => x.variant.startsWith('pipeline'))) {
    assert.deepEqual(row.pageAudits, { total: PAGES, distinctUrlHashes: PAGES, distinctUrls: PAGES, ok: PAGES - site.failing, failed: site.failing });
    assert.equal(row.temporalStatus, 'COMPLETED');
    // The run's row said completed after Temporal's close, never before it.
    assert.equal(row.database.status, 'completed');
    assert.ok(row.database.completedAfterCloseMs >= -1, `completed ${row.database.completedAfterCloseMs} ms after the close`);
    assert.ok(row.maxEventsPerRun > 0 && row.totalEvents >= row.maxEventsPerRun);
    assert.ok(Number.isInteger(row.continuedAsNew));
    assert.ok(row.summarizeMs > 0 && row.workflowMs > row.summarizeMs);
    assert.ok(row.summarizeShare > 0 && row.summarizeShare < 1);
    // The one round's ratio is the run's own: the pipeline's run time against plain + checks' of the same round.
    assert.equal(row.ratioVsChecksByRound.length, 1);
    assert.ok(Math.abs(row.ratioVsChecksByRound[0] - r.rows[1].runs[0].ms / row.runs[0].ms) < 0.001, `${row.variant}: ratio of its round`);
    assert.equal(row.ratioVsChecks, row.ratioVsChecksByRound[0], `${row.variant}: one round's median is its ratio`);
    // Where in the run each activity type ran: discover, then the crawl, then summarize.
    const a = row.runs[0].history.activities;
    assert.ok(a.discover.lastCloseMs <= a.crawlBatch.firstStartMs, `${row.variant}: the crawl starts after discovery`);
    assert.ok(a.crawlBatch.firstStartMs < a.crawlBatch.lastCloseMs && a.crawlBatch.lastCloseMs <= a.summarize.firstStartMs, `${row.variant}: summarize starts after the crawl`);
  }
  assert.equal(r.rows[0].ratioVsChecksByRound, null, 'plain has no pipeline ratio');
  assert.match(out, /pipeline, fresh db against plain \+ checks, round by round: \d+%\n/);
  assert.match(out, /pipeline, db with earlier runs against plain \+ checks, round by round: \d+%\n/);
  assert.match(out, /\(one round: ratios on a shared machine move/);
  assert.match(out, /crawlBatch +× *\d+ .* at [\d.]+-[\d.]+ s/);
  assert.match(out, /cpu budget: at 85% of plain \+ checks the run would take [\d.]+ s, [\d.]+ core-s on \d+ cores; this run used [\d.]+ core-s .* cores \d+% busy/);
  for (const db of ['pipeline', 'pipeline-loaded']) {
    const g = r.goalResults[db];
    assert.deepEqual(Object.keys(g).sort(), [
      'history events per run (max)',
      'peak worker RSS',
      'pipeline / (plain + checks)',
      'pipeline / plain (pages/s)',
      'summarize share of wall time',
    ]);
    for (const v of Object.values(g) as Array<{ value: number; ok: boolean }>) {
      assert.equal(typeof v.value, 'number');
      assert.equal(typeof v.ok, 'boolean');
    }
  }
});
