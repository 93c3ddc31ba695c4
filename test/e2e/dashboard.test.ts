// The dashboard in a real browser (Debian's Chromium driven by playwright-core) on the real stack: API → Temporal →
// worker → PostgreSQL, crawling fixture sites. A person starts a run and a batch from the forms, watches the counters
// rise, opens a report and finds the fixture's known defect, and sees the API's own message when it refuses input.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { collectConsoleErrors, SCREENSHOT_DIR as OUT_DIR, startBrowserStack, type BrowserStack } from '../helpers/browser';
import { apiCaller, startTestApi, testConfig, type TestDb } from '../helpers/stack';
import { closedPort } from '../../src/ports';

const MAX_PAGES = 8;
const TIMEOUT_MS = 2000;

describe('dashboard in headless Chromium', () => {
  const sites: FixtureSite[] = [];
  let tdb: TestDb;
  let stack: BrowserStack;
  let client: Client;
  let api: BrowserStack['api'];
  let browser: Browser;
  let page: Page;

  const call = apiCaller(() => api.url);

  /** Fills the shared option fields of a form (`run` or `batch`). */
  const fillOptions = async (prefix: string) => {
    await page.fill(`#${prefix}-max-pages`, String(MAX_PAGES));
    await page.fill(`#${prefix}-max-depth`, '3');
    await page.locator(`#${prefix}-max-pages`).locator('xpath=ancestor::form').locator('summary').click();
    await page.fill(`#${prefix}-timeout`, String(TIMEOUT_MS));
  };

  /** Opens the title_missing finding of the report on screen and returns the affected pages' text. */
  const openTitleMissing = async () => {
    const toggle = page.locator('#issues-table button[data-code="title_missing"]');
    await toggle.waitFor({ timeout: 30_000 });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const detail = page.locator('#issue-title_missing');
    await detail.locator('table.pages').waitFor({ timeout: 15_000 });
    return detail.innerText();
  };

  before(async () => {
    for (let i = 0; i < 3; i++) sites.push(await startFixtureSite({ slowMs: 50, hangMs: 10_000 }));
    stack = await startBrowserStack({ dbPrefix: 'dash', viewport: { width: 1280, height: 900 } });
    ({ tdb, client, api, browser, page } = stack);
  });

  after(async () => {
    await stack?.close();
    for (const s of sites) await s.close();
  });

  test('a single-site run started from the form shows live progress, then its report with the known defect', async () => {
    const consoleErrors = collectConsoleErrors(page);
    await page.goto(api.url);
    await page.getByLabel('Site URL').fill(sites[0].origin);
    await fillOptions('run');
    const posted = page.waitForResponse((r) => r.url().endsWith('/api/runs') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Start run' }).click();
    const res = await posted;
    assert.equal(res.status(), 202);
    const started = await res.json();
    await page.waitForURL(`**/#/runs/${started.runId}`);
    assert.deepEqual(res.request().postDataJSON(), {
      url: sites[0].origin,
      options: { maxPages: MAX_PAGES, maxDepth: 3, respectRobots: true, requestTimeoutMs: TIMEOUT_MS },
    });

    await page.locator('#run-live').filter({ hasText: /^Run completed/ }).waitFor({ timeout: 90_000 });
    const view = await call('GET', `/api/runs/${started.runId}`);
    assert.equal(view.body.status, 'completed');
    const report = await call('GET', `/api/runs/${started.runId}/report`);
    const s = report.body.summary;
    assert.equal(await page.locator('#sum-audited').innerText(), String(s.pagesAudited));
    assert.equal(await page.locator('#sum-failed').innerText(), String(s.pagesFailed));
    assert.equal(await page.locator('#run-audited').innerText(), String(view.body.counters.audited));
    assert.equal(await page.getByRole('link', { name: 'Open in Temporal Web UI' }).getAttribute('href'), view.body.webUiUrl);
    // Every issue code of the summary has a row with its count.
    for (const [code, count] of Object.entries(s.issuesByCode as Record<string, number>)) {
      const text = await page.locator(`#issues-table button[data-code="${code}"]`).innerText();
      assert.equal(text, `${count} ${count === 1 ? 'page' : 'pages'}`, code);
    }
    const statusChart = await page.locator('svg.chart').first().getAttribute('aria-label');
    for (const [codeN, n] of Object.entries(s.statusCodes as Record<string, number>)) assert.ok(statusChart!.includes(`${codeN}: ${n}`), statusChart!);
    const pages = await openTitleMissing();
    assert.ok(pages.includes(`${sites[0].origin}/missing-title`), pages);
    // A run without an AI job: the run view says so, and the page asks nothing that would answer 404.
    assert.equal(view.body.recommendations, null);
    assert.deepEqual(consoleErrors.stop(), [], 'the browser logged no error');
  });

  test('a batch started from the form: counters rise to completion, failures show their reason, a report shows the defect', async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const consoleErrors = collectConsoleErrors(page);
    await page.goto(`${api.url}/#/`);
    await page.getByLabel('Domains, one per line').fill(`${sites[1].origin}\n\n${sites[2].origin}\n${unreachable}\n`);
    await page.getByLabel('Max concurrent sites').fill('2');
    await fillOptions('batch');
    const posted = page.waitForResponse((r) => r.url().endsWith('/api/batches') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Start batch' }).click();
    const res = await posted;
    const started = await res.json();
    assert.equal(res.status(), 202, JSON.stringify(started));
    assert.deepEqual(res.request().postDataJSON().domains, [sites[1].origin, sites[2].origin, unreachable]);
    await page.waitForURL(`**/#/batches/${encodeURIComponent(started.batchId)}`);

    // Sample the counters the page shows until the batch is over.
    const seen: Array<{ completed: number; failed: number; progress: number }> = [];
    const deadline = Date.now() + 120_000;
    for (;;) {
      const sample = await page.evaluate(() => {
        const doc = (globalThis as any).document;
        return {
          completed: String(doc.querySelector('#batch-completed')?.textContent ?? ''),
          failed: String(doc.querySelector('#batch-failed')?.textContent ?? ''),
          progress: String(doc.querySelector('#batch-progress')?.getAttribute('aria-valuenow') ?? ''),
          live: String(doc.querySelector('#batch-live')?.textContent ?? ''),
        };
      });
      if (/^\d+$/.test(sample.completed)) seen.push({ completed: Number(sample.completed), failed: Number(sample.failed), progress: Number(sample.progress) });
      if (/^Batch (completed|failed|cancelled)/.test(sample.live) && !/^Batch (running|queued|pending)/.test(sample.live)) break;
      assert.ok(Date.now() < deadline, `the batch did not finish in time; last sample ${JSON.stringify(sample)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.ok(seen.length >= 2, `counters sampled: ${JSON.stringify(seen)}`);
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i].completed >= seen[i - 1].completed && seen[i].failed >= seen[i - 1].failed, `counters never go down: ${JSON.stringify(seen)}`);
    }
    const first = seen[0];
    const last = seen[seen.length - 1];
    assert.ok(first.completed + first.failed < 3, `the page showed the batch before it finished: ${JSON.stringify(seen)}`);
    assert.deepEqual({ completed: last.completed, failed: last.failed, progress: last.progress }, { completed: 2, failed: 1, progress: 100 });

    // What the page shows per domain is what the API says.
    const batch = (await call('GET', `/api/batches/${encodeURIComponent(started.batchId)}`)).body;
    assert.equal(batch.completedDomains, 2);
    assert.equal(batch.failedDomains, 1);
    const rows = await page.locator('#domains-table tbody tr').evaluateAll((trs) =>
      trs.map((tr: any) => ({ domain: String(tr.dataset.domain), status: String(tr.dataset.status), reason: String(tr.children[3].textContent) })));
    assert.equal(rows.length, 3);
    for (const row of rows) {
      const d = batch.domainStatuses[row.domain!];
      assert.ok(d, `domain ${row.domain} is in the API's domainStatuses`);
      assert.equal(row.status, d.status, row.domain);
      if (d.status === 'failed') {
        assert.ok(d.error, 'the API gives the failed domain a reason');
        assert.equal(row.reason, typeof d.error === 'string' ? d.error : JSON.stringify(d.error));
      }
    }
    assert.equal(rows.filter((r) => r.status === 'failed').length, 1);
    await page.screenshot({ path: path.join(OUT_DIR, 'dashboard-batch.png'), fullPage: true });

    // The unreachable domain's run: failed, saying why, its one URL gone through (not a bar stuck at 0%).
    const failedRun = Object.values(batch.domainStatuses as Record<string, { status: string; runId: string }>).find((d) => d.status === 'failed')!;
    await page.goto(`${api.url}/#/runs/${encodeURIComponent(failedRun.runId)}`);
    await page.locator('#run-live').filter({ hasText: /^Run failed: 0 pages audited, 1 failed\./ }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#run-note').innerText(), 'Error: connection_refused: every page failed (1 page)');
    assert.equal(await page.locator('#run-progress').getAttribute('aria-valuenow'), '100');
    await page.locator('#sum-failed').filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    await page.goto(`${api.url}/#/batches/${encodeURIComponent(started.batchId)}`);
    await page.locator('#domains-table tbody tr').first().waitFor({ timeout: 30_000 });

    // Open the report of a completed domain and find the fixture's page without a title.
    const completedRow = page.locator('#domains-table tbody tr[data-status="completed"]').first();
    const domain = await completedRow.getAttribute('data-domain');
    await completedRow.getByRole('link', { name: `Report for ${domain}` }).click();
    await page.waitForURL('**/#/runs/**');
    await page.locator('#run-live').filter({ hasText: /^Run completed/ }).waitFor({ timeout: 30_000 });
    const runId = decodeURIComponent(new URL(page.url()).hash.replace('#/runs/', ''));
    const run = (await call('GET', `/api/runs/${runId}`)).body;
    assert.equal(run.batchId, started.batchId);
    const pagesText = await openTitleMissing();
    assert.ok(pagesText.includes(`${new URL(run.siteUrl).origin}/missing-title`), pagesText);
    await page.screenshot({ path: path.join(OUT_DIR, 'dashboard-report.png'), fullPage: true });
    assert.deepEqual(consoleErrors.stop(), [], 'the browser logged no error on the batch and its runs');
  });

  test('a run with an AI recommendations job shows each page\'s suggestion beside its findings', async () => {
    // The job as the AI workflow leaves it (its provider side is covered by aiRecommendations.test.ts): one page
    // answered, one whose answer did not validate.
    const runs = (await call('GET', '/api/runs?status=completed&limit=1')).body.items;
    const runId: string = runs[0].runId;
    const pages = await tdb.db.query(`SELECT id, url, issues FROM page_audits WHERE run_id = $1 AND jsonb_array_length(issues) > 0 ORDER BY id LIMIT 2`, [runId]);
    assert.equal(pages.length, 2);
    const jobId = `dash-${runId}`;
    await tdb.db.query(
      `INSERT INTO ai_batch_jobs (id, workflow_id, run_id, model, provider, status, total_pages, succeeded, errored, completed_at)
       VALUES ($1, $2, $3, 'claude-haiku-4-5', 'anthropic', 'completed', 2, 1, 1, now())`,
      [jobId, `ai-recommendations-${jobId}`, runId],
    );
    const suggestion = { suggestedTitle: 'A clear, specific title for this page', suggestedDescription: 'What the page offers, in one sentence that fits the snippet.', fixes: [{ priority: 1, code: pages[0].issues[0].code, fix: 'Do the obvious thing first.' }] };
    await tdb.db.query(
      `INSERT INTO ai_batch_items (job_id, custom_id, page_id, url, prompt_hash, prompt, status, result, error) VALUES
         ($1, 'p-' || $2::text, $2::bigint, $3, 'h', 'p', 'succeeded', $4, NULL), ($1, 'p-' || $5::text, $5::bigint, $6, 'h', 'p', 'errored', NULL, 'answer is not JSON: Sure!')`,
      [jobId, pages[0].id, pages[0].url, JSON.stringify(suggestion), pages[1].id, pages[1].url],
    );
    // A fresh load: the previous test may have left this very run's page on screen (a hash-only goto would not re-render).
    await page.goto('about:blank');
    assert.deepEqual((await call('GET', `/api/runs/${runId}`)).body.recommendations, { jobId, status: 'completed' });
    await page.goto(`${api.url}/#/runs/${runId}`);
    const table = page.locator('#ai-table');
    await table.waitFor({ timeout: 30_000 });
    assert.match(await page.locator('#ai-job').innerText(), /claude-haiku-4-5 · completed · 1 of 2 pages answered/);
    const answered = table.locator(`tbody tr[data-url="${pages[0].url}"]`);
    assert.equal(await answered.locator('.ai-title-text').innerText(), suggestion.suggestedTitle);
    const cells = await answered.locator('td').allInnerTexts();
    // Findings (every code of the page) in the cell beside the suggestion and its fix.
    for (const f of pages[0].issues) assert.ok(cells[1].includes(f.code), `${f.code} in ${cells[1]}`);
    assert.ok(cells[2].includes('Do the obvious thing first.'), cells[2]);
    assert.match(await table.locator(`tbody tr[data-url="${pages[1].url}"] td`).nth(2).innerText(), /errored: answer is not JSON/);
    await page.screenshot({ path: path.join(OUT_DIR, 'dashboard-ai-suggestions.png'), fullPage: true });
  });

  test('the API refusing a domain list shows its own error message', async () => {
    for (const input of ['', 'not a domain!!\n']) {
      await page.goto(`${api.url}/#/`);
      await page.getByLabel('Domains, one per line').fill(input);
      const posted = page.waitForResponse((r) => r.url().endsWith('/api/batches') && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Start batch' }).click();
      const res = await posted;
      assert.equal(res.status(), 400, `input ${JSON.stringify(input)}`);
      const { error } = await res.json();
      assert.ok(error.message, 'the API names the problem');
      const shown = page.locator('#batch-error');
      await shown.waitFor({ state: 'visible' });
      assert.equal(await shown.getAttribute('role'), 'alert');
      assert.ok((await shown.innerText()).includes(error.message), `${await shown.innerText()} shows ${error.message}`);
      assert.ok(page.url().endsWith('/#/'), 'stays on the form');
    }
    await page.screenshot({ path: path.join(OUT_DIR, 'dashboard-home-error.png'), fullPage: true });
    // The single-run form too.
    await page.getByLabel('Site URL').fill('ftp://nowhere');
    await page.getByRole('button', { name: 'Start run' }).click();
    const shown = page.locator('#run-error');
    await shown.waitFor({ state: 'visible' });
    assert.match(await shown.innerText(), /url: must be an absolute http\(s\) URL/);
  });

  test('an API that requires a token: the page asks for it and sends it as a bearer token', async () => {
    const secured = await startTestApi(testConfig({ API_TOKEN: 'dashboard-secret' }), tdb.db, client);
    const ctx = await browser.newContext();
    try {
      const p = await ctx.newPage();
      await p.goto(secured.url);
      const field = p.getByLabel('API token', { exact: true });
      await field.waitFor({ state: 'visible' });
      await p.getByRole('alert').filter({ hasText: 'A valid API token is required' }).first().waitFor();
      await field.fill('dashboard-secret');
      const authorized = p.waitForRequest((r) => r.url().includes('/api/runs') && r.headers().authorization === 'Bearer dashboard-secret');
      await p.getByRole('button', { name: 'Save token' }).click();
      await authorized;
      await p.locator('#runs-table tbody a').first().waitFor();
      assert.equal(await p.locator('#token-panel').isHidden(), true);
      assert.equal(await p.evaluate(() => (globalThis as any).sessionStorage.getItem('sitesweep.apiToken')), 'dashboard-secret');
    } finally {
      await ctx.close();
      await secured.close();
    }
  });
});
