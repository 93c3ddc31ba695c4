// The CLI as a CI gate: each budget makes `sitesweep audit` exit 3 and say which budget and by how much; budgets may
// live in the config file; --output writes report.json, issues/pages CSV and one self-contained HTML report, which
// headless Chromium renders offline with the fixture's known defects listed.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { cliResult, spawnCli } from '../helpers/cli';
import { createTestDatabase, requireEnv, uid, type TestDb } from '../helpers/stack';

const root = path.join(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const OUT_DIR = path.join(root, 'test-output');
let site: FixtureSite;
let tdb: TestDb;
let work: string;

function cli(args: string[], env: Record<string, string> = {}, cwd = root) {
  return cliResult(spawnCli(args, { ...process.env, TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: `gate-${uid()}`, DATABASE_URL: tdb.url, FETCH_RETRIES: '0', ...env }, cwd));
}
const common = () => ['audit', site.origin, '--allow-private', '--max-pages', '40', '--timeout', '1500', '--retries', '0'];

before(async () => {
  site = await startFixtureSite({ slowMs: 20, hangMs: 3_000 });
  tdb = await createTestDatabase('gate');
  work = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-gate-'));
});

after(async () => {
  await tdb?.close();
  await site?.close();
});

test('--fail-on critical exits 3 and --output writes JSON, CSV and an HTML report that renders offline', async () => {
  const out = path.join(work, 'reports');
  const res = await cli([...common(), '--fail-on', 'critical', '--output', 'json,csv,html', '--output-dir', out]);
  assert.equal(res.code, 3, res.stderr.slice(-2000));
  assert.match(res.stderr, /Budget broken \(exit 3\):\n\s+--fail-on critical: \d+ critical finding\(s\), budget 0 \(over by \d+\)/);
  for (const f of ['report.json', 'issues.csv', 'pages.csv', 'report.html']) assert.ok(existsSync(path.join(out, f)), f);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { healthScore: number; issues: Array<{ code: string; severity: string }> };
  assert.ok(report.issues.some((i) => i.code === 'title_missing'));
  assert.match(readFileSync(path.join(out, 'issues.csv'), 'utf8'), /^url,code,severity/);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.doesNotMatch(html, /<script|<link |src="http/i, 'self-contained: no script, no external resource');

  assert.ok(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM} (apt-get install chromium)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const external: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith('file:')) external.push(r.url()); });
    await page.goto(`file://${path.join(out, 'report.html')}`);
    mkdirSync(OUT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(OUT_DIR, 'cli-html-report.png'), fullPage: true });
    const text = await page.locator('main').innerText();
    // The fixture's known defects, each with its affected page.
    for (const [code, pagePath] of [['title_missing', '/missing-title'], ['h1_missing', '/no-h1'], ['description_missing', '/no-description'], ['status_4xx', '/does-not-exist']]) {
      const finding = page.locator(`#check-${code}`);
      assert.equal(await finding.count(), 1, `${code} listed`);
      assert.ok((await finding.textContent())?.includes(`${site.origin}${pagePath}`), `${code} lists ${pagePath}`);
    }
    // A broken link says where to fix it: the page that links to the gone target, with its anchor text.
    const broken = (await page.locator('#check-broken_internal_link').textContent()) ?? '';
    assert.ok(broken.includes(`${site.origin}/does-not-exist — HTTP 404linked from ${site.origin}/broken-links “A page that is gone”`), broken);
    assert.match(text, new RegExp(`Health score\\s*${report.healthScore}`));
    assert.match(text, /Status codes/);
    assert.match(text, /timeout/, 'failure reasons listed');
    assert.equal(await page.locator('svg').count() >= 3, true, 'inline SVG charts');
    assert.deepEqual(external, [], 'no network request');
  } finally {
    await browser.close();
  }
});

test('--min-score from the config file exits 3 with the shortfall; met budgets exit 0', async () => {
  const cfg = path.join(work, 'gate.config.json');
  writeFileSync(cfg, JSON.stringify({ budgets: { minScore: 100 } }));
  const res = await cli([...common(), '--config', cfg]);
  assert.equal(res.code, 3, res.stderr.slice(-2000));
  assert.match(res.stderr, /--min-score 100: health score [\d.]+ is [\d.]+ below it/);
  // The flag beats the file.
  const ok = await cli([...common(), '--config', cfg, '--min-score', '0']);
  assert.equal(ok.code, 0, ok.stderr.slice(-2000));
  assert.match(ok.stderr, /budgets: all met/);
});

test('--max-new-findings exits 3 when a re-run finds more new findings than allowed', async () => {
  site.setOverride('/about', '<!doctype html><html><head></head><body><p>now broken</p></body></html>');
  try {
    const res = await cli([...common(), '--max-new-findings', '0']);
    assert.equal(res.code, 3, res.stderr.slice(-2000));
    assert.match(res.stderr, /--max-new-findings 0: (\d+) new finding\(s\) since run \S+ \(over by \1\)/);
  } finally {
    site.setOverride('/about', null);
  }
});

test('bad budgets and config files: exit 2 naming the field or key, nothing started', async () => {
  const badFlag = await cli(['audit', site.origin, '--fail-on', 'notice']);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /^sitesweep: --fail-on: must be "critical" or "warning"/);
  const cfg = path.join(work, 'bad.config.json');
  writeFileSync(cfg, JSON.stringify({ options: { maxPages: 5, maxPagez: 3 } }));
  const badKey = await cli(['audit', site.origin, '--config', cfg]);
  assert.equal(badKey.code, 2);
  assert.match(badKey.stderr, /bad\.config\.json: options\.maxPagez: is not a known field/);
  const score = await cli(['audit', site.origin, '--min-score', '101']);
  assert.equal(score.code, 2);
  assert.match(score.stderr, /^sitesweep: --min-score: must be <= 100/);
  // An output directory that is a file is refused before the audit, not after it (audit and export alike).
  const file = path.join(work, 'a-file');
  writeFileSync(file, 'not a directory');
  for (const args of [['audit', site.origin, '--allow-private', '--output', 'html', '--output-dir', file], ['export', '00000000-0000-4000-8000-000000000000', '--output-dir', file]]) {
    const res = await cli(args);
    assert.equal(res.code, 2, `${args[0]}: ${res.stderr}`);
    assert.match(res.stderr, new RegExp(`^sitesweep: --output-dir: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a directory\n$`));
  }
  // Named by the variable when the variable named it; and a directory with no --output is not silently ignored.
  const fromEnv = await cli(['audit', site.origin, '--allow-private', '--output', 'json'], { SITESWEEP_OUTPUT_DIR: file });
  assert.equal(fromEnv.code, 2, fromEnv.stderr);
  assert.match(fromEnv.stderr, /^sitesweep: SITESWEEP_OUTPUT_DIR: .* is not a directory\n$/);
  const nothing = await cli(['audit', site.origin, '--allow-private', '--output-dir', work]);
  assert.equal(nothing.code, 2, nothing.stderr);
  assert.equal(nothing.stderr, 'sitesweep: --output-dir: writes nothing without --output (json, csv, html)\n');
});
