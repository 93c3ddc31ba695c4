// The dashboard's working views in headless Chromium (Debian's chromium driven by playwright-core) on the real stack
// (API → Temporal → worker → PostgreSQL) and fixture sites: the pages table sorted and filtered on the server, paged
// past 100 rows; a page in the explorer with its known inlink; the findings view with a broken link's source; two runs
// of a fixture whose second version fixes one defect and adds another, compared; the runs-over-time chart; an export
// downloaded with API_TOKEN set; a running run paused and resumed from its buttons. Screenshots go to test-output/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { PAGE_SORTS } from '../../src/api/schemas';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { collectConsoleErrors, SCREENSHOT_DIR as OUT_DIR, startBrowserStack, type BrowserStack } from '../helpers/browser';
import { apiCaller, startTestApi, testConfig, waitFor, type TestDb } from '../helpers/stack';

const FIXTURE_OPTIONS = { maxPages: 40, maxDepth: 3, requestTimeoutMs: 1000, fetchRetryBaseMs: 20 };
const SLOW_PAGES = 150;

describe('dashboard views in headless Chromium', () => {
  let site: FixtureSite;
  let slow: SlowSite;
  let tdb: TestDb;
  let stack: BrowserStack;
  let client: Client;
  let api: BrowserStack['api'];
  let browser: Browser;
  let page: Page;
  let runA: string;
  let runB: string;
  let slowRun: string;
  const call = apiCaller(() => api.url);

  const startRun = async (url: string, options: Record<string, unknown>) => {
    const res = await call('POST', '/api/runs', { url, options });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.runId as string;
  };
  const completed = (runId: string, timeoutMs = 60_000) =>
    waitFor(async () => (await call('GET', `/api/runs/${runId}`)).body.status === 'completed', timeoutMs);
  /** Loads a dashboard URL afresh (a hash-only goto to the same document would not re-render). */
  const open = async (hash: string) => {
    await page.goto('about:blank');
    await page.goto(`${api.url}/${hash}`);
  };
  const rowUrls = (selector: string) => page.locator(`${selector} tbody tr[data-url]`).evaluateAll((trs) => trs.map((tr: any) => String(tr.dataset.url)));
  const shot = (name: string) => page.screenshot({ path: path.join(OUT_DIR, `dashboard-${name}.png`), fullPage: true });

  /** Errors the browser logs on any view (a failed request, an exception): none is expected. */
  let consoleErrors: ReturnType<typeof collectConsoleErrors>;

  before(async () => {
    site = await startFixtureSite({ slowMs: 50, hangMs: 10_000 });
    slow = await startSlowSite({ pages: SLOW_PAGES, delayMs: 100 });
    stack = await startBrowserStack({ dbPrefix: 'dashv', viewport: { width: 1360, height: 900 } });
    ({ tdb, client, api, browser, page } = stack);
    consoleErrors = collectConsoleErrors(page);

    // Version 1 of the fixture, then version 2: /missing-title gets a title (fixed), /about loses its description (new).
    runA = await startRun(site.origin, FIXTURE_OPTIONS);
    await completed(runA);
    const fetchHtml = async (p: string) => (await fetch(`${site.origin}${p}`)).text();
    const missing = await fetchHtml('/missing-title');
    assert.ok(!missing.includes('<title>'));
    site.setOverride('/missing-title', missing.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n<title>Sitesweep fixture page /missing-title, now with a title</title>'));
    const about = await fetchHtml('/about');
    const withoutDescription = about.replace(/<meta name="description"[^>]*>/, '');
    assert.notEqual(withoutDescription, about);
    site.setOverride('/about', withoutDescription);
    runB = await startRun(site.origin, FIXTURE_OPTIONS);
    await completed(runB);
  });

  after(async () => {
    await stack?.close();
    await site?.close();
    await slow?.close();
  });

  test('pages table: filtered and sorted on the server, state in the URL, finds the page without a title', async () => {
    const requests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/pages?')) requests.push(r.url());
    });
    await open(`#/runs/${runA}/pages`);
    await page.locator('#pages-table tbody tr[data-url]').first().waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('2xx');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/statusClass=2xx/);
    await page.locator('#pages-table th a[data-sort="title"]').click();
    await page.waitForURL(/sort=title&order=asc/);
    // The hash changes before the sorted page arrives: wait for the table the server sorted, not for the URL.
    await page.locator('#pages-table th[aria-sort="ascending"] a[data-sort="title"]').waitFor();
    await page.locator('#pages-table tbody tr[data-url]').first().waitFor();
    // The only 2xx page without a title sorts first ('' < any title).
    assert.equal((await rowUrls('#pages-table'))[0], `${site.origin}/missing-title`);
    const filtered = new URL(page.url());
    const hash = filtered.hash;
    const lastRequest = new URL(requests[requests.length - 1]);
    assert.equal(lastRequest.searchParams.get('statusClass'), '2xx');
    assert.equal(lastRequest.searchParams.get('sort'), 'title');
    await shot('pages');

    // Descending: the same column again.
    await page.locator('#pages-table th a[data-sort="title"]').click();
    await page.waitForURL(/order=desc/);
    await page.locator('#pages-table th[aria-sort="descending"]').waitFor();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#pages-table tbody tr[data-url]')?.dataset.url?.endsWith('/missing-title') === false);

    // A shared URL opens the same view; a finding filter and a text search narrow it to the defective page.
    await open(hash);
    await page.locator('#pages-table tbody tr[data-url]').first().waitFor();
    assert.equal((await rowUrls('#pages-table'))[0], `${site.origin}/missing-title`);
    assert.equal(await page.getByLabel('Status', { exact: true }).inputValue(), '2xx');
    await open(`#/runs/${runA}/pages?code=title_missing`);
    await page.locator('#pages-table tbody tr[data-url]').first().waitFor();
    assert.deepEqual(await rowUrls('#pages-table'), [`${site.origin}/missing-title`]);
    await open(`#/runs/${runA}/pages?q=long-ti`);
    await page.locator('#pages-table tbody tr[data-url]').first().waitFor();
    assert.deepEqual(await rowUrls('#pages-table'), [`${site.origin}/long-title`]);
    // The API refuses a sort column it does not know, naming the field.
    const bad = await call('GET', `/api/runs/${runA}/pages?sort=password`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^sort: /);
  });

  test('API: every sort column, both orders, pages by keyset through every row once; bad parameters are 400s naming the field', async () => {
    const all = (await call('GET', `/api/runs/${runA}/pages?limit=500`)).body;
    const expected = all.items.map((p: any) => p.url).sort();
    assert.equal(all.total, expected.length);
    for (const sort of PAGE_SORTS) {
      for (const order of ['asc', 'desc']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const res = await call('GET', `/api/runs/${runA}/pages?sort=${sort}&order=${order}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          seen.push(...res.body.items.map((p: any) => p.url));
          cursor = res.body.nextCursor;
        } while (cursor);
        assert.deepEqual([...seen].sort(), expected, `sort=${sort} order=${order}`);
      }
    }
    // Text search takes %, _ and \ literally.
    assert.deepEqual((await call('GET', `/api/runs/${runA}/pages?q=${encodeURIComponent('%_\\')}`)).body.items, []);
    const bad: Array<[string, string]> = [
      ['pages?sort=secret', 'sort'], ['pages?order=up', 'order'], ['pages?statusClass=6xx', 'statusClass'], ['pages?indexable=yes', 'indexable'],
      ['pages?severity=fatal', 'severity'], ['pages?limit=0', 'limit'], ['pages?cursor=abc', 'cursor'], ['pages?q=', 'q'], ['pages?colour=red', '(body)'],
      ['page?url=notaurl', 'url'], ['page', 'url'], ['links?url=http%3A%2F%2Fa.example%2F&direction=sideways', 'direction'],
      ['links?url=http%3A%2F%2Fa.example%2F&cursor=xyz', 'cursor'], ['history?limit=51', 'limit'],
    ];
    for (const [q, field] of bad) {
      const res = await call('GET', `/api/runs/${runA}/${q}`);
      assert.equal(res.status, 400, `${q}: ${JSON.stringify(res.body)}`);
      if (field !== '(body)') assert.ok(res.body.error.message.startsWith(`${field}: `), `${q}: ${res.body.error.message}`);
    }
    // A cursor of another run or sort is not an error: it just matches nothing of this listing.
    const foreign = await call('GET', `/api/runs/${runA}/pages?sort=title&cursor=999999999999999999`);
    assert.equal(foreign.status, 200);
    assert.deepEqual(foreign.body.items, []);
  });

  test('page explorer: the page without a title, its finding and its known inlink from the home page', async () => {
    await open(`#/runs/${runA}/pages?code=title_missing`);
    await page.locator('#pages-table tbody tr[data-url] a').first().click();
    await page.waitForURL(/#\/runs\/[^/]+\/page\?url=/);
    const inlink = page.locator(`#inlinks tbody tr[data-url="${site.origin}/"]`);
    await inlink.waitFor();
    assert.match(await inlink.innerText(), /Page without a title/);
    assert.match(await inlink.innerText(), /follow/);
    await page.locator('#explorer-findings li[data-code="title_missing"]').waitFor();
    assert.ok(await page.locator('#outlinks tbody tr[data-url]').count() >= 1);
    assert.equal(await page.locator('#explorer-ai').count(), 0, 'no AI section without a recommendations job');

    // With a recommendations job (as the AI workflow leaves it), the page's suggestion shows too.
    const [row] = await tdb.db.query(`SELECT id, url FROM page_audits WHERE run_id = $1 AND url = $2`, [runA, `${site.origin}/missing-title`]);
    const jobId = `views-${runA}`;
    await tdb.db.query(
      `INSERT INTO ai_batch_jobs (id, workflow_id, run_id, model, provider, status, total_pages, succeeded, completed_at)
       VALUES ($1, $2, $3, 'claude-haiku-4-5', 'anthropic', 'completed', 1, 1, now())`,
      [jobId, `ai-recommendations-${jobId}`, runA],
    );
    const suggestion = { suggestedTitle: 'Fixture page that finally has a title', suggestedDescription: 'A description.', fixes: [{ priority: 1, code: 'title_missing', fix: 'Add a title element.' }] };
    await tdb.db.query(
      `INSERT INTO ai_batch_items (job_id, custom_id, page_id, url, prompt_hash, prompt, status, result) VALUES ($1, 'p-' || $2::text, $2::bigint, $3, 'h', 'p', 'succeeded', $4)`,
      [jobId, row.id, row.url, JSON.stringify(suggestion)],
    );
    await page.reload();
    await page.locator('#explorer-ai').filter({ hasText: suggestion.suggestedTitle }).waitFor();
    assert.match(await page.locator('#explorer-ai').innerText(), /Add a title element\./);
    await page.locator(`#inlinks tbody tr[data-url="${site.origin}/"]`).waitFor();
    await shot('explorer');

    // A redirecting page shows its chain.
    await open(`#/runs/${runA}/page?url=${encodeURIComponent(`${site.origin}/redirect-chain`)}`);
    const chain = await page.locator('#redirect-chain').innerText();
    assert.match(chain, /301/);
    assert.ok(chain.includes(`${site.origin}/about`), chain);
  });

  test('findings view: a site-level finding lists the broken URL with the page linking to it and the anchor text', async () => {
    await open(`#/runs/${runA}/findings`);
    await page.locator('#findings-table tr[data-code="broken_internal_link"] a').click();
    await page.waitForURL(/findings\?code=broken_internal_link/);
    const row = page.locator(`#affected-table tbody tr[data-url="${site.origin}/does-not-exist"]`);
    await row.waitFor();
    const text = await row.innerText();
    assert.ok(text.includes(`${site.origin}/broken-links`), text);
    assert.ok(text.includes('A page that is gone'), text);
    await shot('findings');
  });

  test('compare: the second version fixes the missing title and adds a missing description', async () => {
    await open(`#/runs/${runB}/compare`);
    const fixed = page.locator(`#compare-fixed tbody tr[data-code="title_missing"][data-url="${site.origin}/missing-title"]`);
    await fixed.waitFor();
    await page.locator(`#compare-new tbody tr[data-code="description_missing"][data-url="${site.origin}/about"]`).waitFor();
    assert.equal(await page.locator(`#compare-new tbody tr[data-code="title_missing"]`).count(), 0);
    assert.equal(await page.locator(`#compare-summary a`).innerText(), runA);
    // Picking the run explicitly gives the same answer.
    await page.getByLabel('Compare this run with').selectOption(runA);
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL(new RegExp(`compare\\?with=${runA}`));
    await page.locator(`#compare-fixed tbody tr[data-code="title_missing"]`).waitFor();
    await shot('compare');

    // Runs over time: both runs, with their health score.
    await open(`#/runs/${runB}/history`);
    await page.locator('#history-table tbody tr').nth(1).waitFor();
    const history = (await call('GET', `/api/runs/${runB}/history`)).body;
    assert.deepEqual(history.items.map((x: any) => x.runId), [runA, runB]);
    const health = await page.locator(`#history-table tr[data-run="${runA}"] td`).nth(3).innerText();
    assert.equal(health, String(history.items[0].healthScore));
    const report = (await call('GET', `/api/runs/${runA}/report`)).body;
    assert.equal(history.items[0].healthScore, report.healthScore, 'the chart shows the report\'s health score');
    assert.match(String(await page.locator('svg.line-chart').getAttribute('aria-label')), /Health score: /);
    await shot('history');
  });

  test('pause and resume a running run from its buttons', async () => {
    slowRun = await startRun(slow.origin, { maxPages: SLOW_PAGES + 10, maxDepth: 2, perHostConcurrency: 2, requestTimeoutMs: 5000 });
    await open(`#/runs/${slowRun}`);
    await page.locator('#run-pause').click({ timeout: 30_000 });
    await page.locator('#run-resume').waitFor({ timeout: 30_000 });
    const paused = (await call('GET', `/api/runs/${slowRun}`)).body;
    assert.equal(paused.status, 'running');
    assert.equal(paused.progress.paused, true);
    assert.ok(paused.counters.audited < SLOW_PAGES + 1, `paused before the end: ${JSON.stringify(paused.counters)}`);
    assert.match(await page.locator('.note').first().innerText(), /Paused/);
    await shot('paused');
    await page.locator('#run-resume').click();
    await page.locator('#run-pause').waitFor({ timeout: 30_000 });
    await page.locator('#run-live').filter({ hasText: /^Run completed/ }).waitFor({ timeout: 60_000 });
    const done = (await call('GET', `/api/runs/${slowRun}`)).body;
    assert.equal(done.counters.audited, SLOW_PAGES + 1);
  });

  test('pages table pages through more than 100 rows, 50 at a time from the server', async () => {
    const limits: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes(`/api/runs/${slowRun}/pages?`)) limits.push(String(new URL(r.url()).searchParams.get('limit')));
    });
    await open(`#/runs/${slowRun}/pages?sort=url`);
    const pager = page.getByRole('group', { name: 'Pages of the table' });
    const seen: string[] = [];
    const pages: string[][] = [];
    for (const expected of ['Rows 1–50 of 151', 'Rows 51–100', 'Rows 101–150', 'Rows 151–151']) {
      if (pages.length) await pager.getByRole('button', { name: 'Next' }).click();
      await pager.getByText(expected).waitFor();
      await page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('#pages-table tbody tr[data-url]').length === n, pages.length === 3 ? 1 : 50);
      const urls = await rowUrls('#pages-table');
      pages.push(urls);
      seen.push(...urls);
    }
    assert.equal(await pager.getByRole('button', { name: 'Next' }).isDisabled(), true);
    assert.equal(new Set(seen).size, SLOW_PAGES + 1, 'every page once');
    assert.deepEqual(new Set(seen), new Set(slow.paths.map((p) => `${slow.origin}${p}`)));
    await pager.getByRole('button', { name: 'Previous' }).click();
    await pager.getByText('Rows 101–150').waitFor();
    assert.deepEqual(await rowUrls('#pages-table'), pages[2]);
    assert.ok(limits.length >= 5 && limits.every((l) => l === '50'), `every request asks the server for one page: ${limits}`);
    await shot('pages-paged');
  });

  test('an export downloads with API_TOKEN set (fetched with the bearer token, saved as a Blob)', async () => {
    const secured = await startTestApi(testConfig({ API_TOKEN: 'views-secret' }), tdb.db, client);
    const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1360, height: 900 } });
    try {
      const p = await ctx.newPage();
      await p.goto(`${secured.url}/#/runs/${runA}`);
      await p.getByLabel('API token', { exact: true }).fill('views-secret');
      await p.getByRole('button', { name: 'Save token' }).click();
      await p.locator('#run-live').filter({ hasText: /^Run completed/ }).waitFor({ timeout: 30_000 });
      const sent = p.waitForRequest((r) => r.url().includes('/export?type=pages&format=csv') && r.headers().authorization === 'Bearer views-secret');
      const download = p.waitForEvent('download');
      await p.locator('button[data-export="pages-csv"]').click();
      await sent;
      const file = await (await download).path();
      assert.equal((await download).suggestedFilename(), `sitesweep-${runA}-pages.csv`);
      const csv = readFileSync(file, 'utf8');
      assert.ok(csv.startsWith('url,status,status_code'), csv.slice(0, 80));
      assert.ok(csv.includes(`${site.origin}/missing-title`));
      await p.locator('#export-status').filter({ hasText: /^Downloaded sitesweep-/ }).waitFor();
      // The links export (read by page, never by page_links.id) has the home page's link to the page without a title.
      const linksDownload = p.waitForEvent('download');
      await p.locator('button[data-export="links-csv"]').click();
      const links = readFileSync(await (await linksDownload).path(), 'utf8').split('\r\n');
      assert.equal(links[0], 'from_url,to_url,anchor_text,nofollow,to_status_code');
      assert.ok(links.includes(`${site.origin}/,${site.origin}/missing-title,Page without a title,false,200`), links.slice(0, 5).join('\n'));
      await p.screenshot({ path: path.join(OUT_DIR, 'dashboard-export.png'), fullPage: true });
      // A plain request without the token is refused: the button is what carries it.
      assert.equal((await fetch(`${secured.url}/api/runs/${runA}/export?type=pages`)).status, 401);
    } finally {
      await ctx.close();
      await secured.close();
    }
  });

  test('the browser logged no error on any of these views', () => {
    assert.deepEqual(consoleErrors.stop(), []);
  });
});
