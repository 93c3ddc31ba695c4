// End to end on the real stack: API → Temporal dev server → worker → PostgreSQL, crawling the fixture site.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { readSiteIssues } from '../../src/db/repositories/siteIssues';
import { progressQuery, type RunSummary, type SiteIssue } from '../../src/workflows/contracts';
import { GROUND_TRUTH, SITE_TRUTH, startFixtureSite, type FixtureSite } from '../fixtures/site';
import { startServices, type TestServices, apiCaller, createTestDatabase, testConfig, waitFor, type TestDb } from '../helpers/stack';

const RUN_OPTIONS = { requestTimeoutMs: 1500, fetchRetries: 2, fetchRetryBaseMs: 50, auditBatchSize: 5, parallelBatches: 3, maxPages: 200 };

describe('site audit end to end', () => {
  let site: FixtureSite;
  let tdb: TestDb;
  let client: Client;
  let api: { url: string; close(): Promise<void> };
  let services: TestServices | undefined;
  let runId: string;
  let workflowId: string;

  const call = apiCaller(() => api.url);
  const waitCompleted = (id: string) =>
    waitFor(async () => {
      const r = await call('GET', `/api/runs/${id}`);
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : null;
    }, 120_000, 300);
  const pathOf = (url: string) => new URL(url).pathname;

  before(async () => {
    site = await startFixtureSite();
    tdb = await createTestDatabase('e2e');
    const config = testConfig();
    services = await startServices(config, tdb.db);
    ({ client, api } = services);
  });

  after(async () => {
    await services?.stop();
    await tdb?.close();
    await site?.close();
  });

  test('POST /api/runs starts one workflow per idempotencyKey', async () => {
    const first = await call('POST', '/api/runs', { url: site.origin, idempotencyKey: 'fixture-1', options: RUN_OPTIONS });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.created, true);
    assert.match(first.body.workflowId, /^site-audit:127\.0\.0\.1:\d+:fixture-1$/);
    assert.equal(first.body.statusUrl, `/api/runs/${first.body.runId}`);
    assert.match(first.body.webUiUrl, /\/namespaces\/default\/workflows\/site-audit/);
    const second = await call('POST', '/api/runs', { url: site.origin, idempotencyKey: 'fixture-1', options: RUN_OPTIONS });
    assert.equal(second.status, 200);
    assert.equal(second.body.created, false);
    assert.equal(second.body.runId, first.body.runId);
    assert.equal(second.body.workflowId, first.body.workflowId);
    runId = first.body.runId;
    workflowId = first.body.workflowId;
    const executions = await client.workflow.list({ query: `WorkflowId = '${workflowId}'` });
    let count = 0;
    for await (const _ of executions) count++;
    assert.equal(count, 1);
  });

  test('progress is readable while the run goes on', async () => {
    const live = await waitFor(async () => {
      const r = await call('GET', `/api/runs/${runId}`);
      return r.body.progress ? r.body : null;
    }, 30_000, 100);
    for (const key of ['stage', 'discovered', 'audited', 'failed', 'persisted', 'percent', 'pagesPerMinute', 'startedAt', 'elapsedMs', 'etaMs', 'topFailReasons', 'paused']) {
      assert.ok(key in live.progress, `progress.${key}`);
    }
    assert.ok(['discovering', 'auditing', 'summarizing', 'completed'].includes(live.progress.stage));
  });

  test('the run completes with exactly the fixture findings per page', async () => {
    const done = await waitCompleted(runId);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const pages: any[] = [];
    let cursor: string | null = null;
    do {
      const r = await call('GET', `/api/runs/${runId}/pages?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200);
      pages.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    const byPath = new Map(pages.map((p) => [pathOf(p.url), p]));
    assert.deepEqual([...byPath.keys()].sort(), Object.keys(GROUND_TRUTH).sort(), 'audited exactly the fixture pages');
    for (const [path, expected] of Object.entries(GROUND_TRUTH)) {
      const p = byPath.get(path);
      if (expected.failureReason) {
        assert.equal(p.status, 'failed', path);
        assert.equal(p.failureReason, expected.failureReason, path);
        assert.deepEqual(p.issues.map((i: any) => i.code).sort(), [...(expected.codes ?? [])].sort(), path);
      } else {
        assert.equal(p.status, 'ok', `${path}: ${p.failureReason}`);
        assert.deepEqual(p.issues.map((i: any) => i.code).sort(), [...expected.codes!].sort(), path);
        assert.equal(p.statusCode, expected.statusCode, path);
      }
    }
    assert.equal(byPath.get('/flaky').attempts, 3, 'the flaky page failed twice, then was audited');
    assert.equal(byPath.get('/hang').attempts, 3, 'the hanging page was tried 3 times');
    assert.ok(!site.requests.some((r) => r.path.startsWith('/private/')), 'robots.txt Disallow honoured: never fetched');
    assert.ok(site.requests.every((r) => r.userAgent.startsWith('Sitesweep/')), 'our user agent');
  });

  test('the summary counts match the fixture', async () => {
    const report = await call('GET', `/api/runs/${runId}/report`);
    assert.equal(report.status, 200);
    const s = report.body.summary as RunSummary;
    const failed = Object.values(GROUND_TRUTH).filter((e) => e.failureReason).length;
    const total = Object.keys(GROUND_TRUTH).length;
    assert.equal(s.pagesAudited, total - failed);
    assert.equal(s.pagesFailed, failed);
    assert.equal(s.successRate, Math.round(((total - failed) / total) * 10_000) / 10_000);
    assert.deepEqual(
      s.topFailReasons,
      [{ reason: 'not_html', count: 1 }, { reason: 'robots_disallowed', count: 1 }, { reason: 'timeout', count: 1 }],
    );
    const expectedCodes: Record<string, number> = {};
    for (const e of Object.values(GROUND_TRUTH)) for (const c of e.codes ?? []) expectedCodes[c] = (expectedCodes[c] ?? 0) + 1;
    expectedCodes.duplicate_title = 2;
    expectedCodes.duplicate_description = 2;
    expectedCodes.broken_internal_link = SITE_TRUTH.broken_internal_link.length;
    expectedCodes.orphan_page = 1;
    expectedCodes.internal_link_to_redirect = SITE_TRUTH.internal_link_to_redirect.length;
    expectedCodes.not_in_sitemap = SITE_TRUTH.not_in_sitemap.length;
    assert.deepEqual(s.issuesByCode, Object.fromEntries(Object.entries(expectedCodes).sort(([a], [b]) => a.localeCompare(b))));
    // The summary keeps the top findings with a few pages each; the full lists are in site_issues.
    const full: SiteIssue[] = await readSiteIssues(tdb.db, runId);
    assert.equal(s.siteIssuesTotal, full.length);
    const site2 = (code: string) => full.filter((i) => i.code === code);
    assert.deepEqual(site2('duplicate_title').map((i) => i.pages.map(pathOf)), SITE_TRUTH.duplicate_title);
    assert.deepEqual(site2('duplicate_description').map((i) => i.pages.map(pathOf)), SITE_TRUTH.duplicate_description);
    assert.deepEqual(site2('orphan_page').map((i) => i.pages.map(pathOf)), SITE_TRUTH.orphan_page);
    assert.deepEqual(site2('internal_link_to_redirect').flatMap((i) => i.pages.map(pathOf)).sort(), SITE_TRUTH.internal_link_to_redirect);
    assert.deepEqual(site2('not_in_sitemap').flatMap((i) => i.pages.map(pathOf)).sort(), SITE_TRUTH.not_in_sitemap);
    assert.equal(site2('near_duplicate').length, 0, 'fixture pages have distinct text');
    assert.deepEqual(
      site2('broken_internal_link').map((i) => ({ target: pathOf(i.pages[0]), sources: i.sources!.map((x) => pathOf(x.from)) })),
      SITE_TRUTH.broken_internal_link,
    );
    assert.ok(s.durationMs > 0);
    assert.ok(report.body.issues.some((i: any) => i.code === 'title_missing' && i.count === 1 && i.why && i.fix));
  });

  test('PostgreSQL holds one row per page, and the run row is complete', async () => {
    const [{ n, distinct }] = await tdb.db.query(`SELECT count(*)::int AS n, count(DISTINCT url_hash)::int AS distinct FROM page_audits WHERE run_id = $1`, [runId]);
    assert.equal(n, Object.keys(GROUND_TRUTH).length);
    assert.equal(distinct, n);
    const [run] = await tdb.db.query(`SELECT status, stage, audited, failed, discovered, finished_at FROM audit_runs WHERE id = $1`, [runId]);
    assert.equal(run.status, 'completed');
    assert.equal(run.stage, 'completed');
    assert.equal(run.audited + run.failed, n);
    assert.ok(run.finished_at);
    const open = await tdb.db.query(`SELECT url FROM frontier WHERE run_id = $1 AND status <> 'done'`, [runId]);
    assert.deepEqual(open, []);
    const [{ links }] = await tdb.db.query(`SELECT count(*)::int AS links FROM page_links WHERE run_id = $1`, [runId]);
    assert.ok(links > 20);
  });

  test('pages can be filtered by status and issue code', async () => {
    const failed = await call('GET', `/api/runs/${runId}/pages?status=failed`);
    assert.deepEqual(failed.body.items.map((p: any) => pathOf(p.url)).sort(), ['/hang', '/private/secret', '/report.pdf']);
    const noindex = await call('GET', `/api/runs/${runId}/pages?code=noindex`);
    assert.deepEqual(noindex.body.items.map((p: any) => pathOf(p.url)).sort(), ['/noindex', '/x-robots-noindex']);
    const bad = await call('GET', `/api/runs/${runId}/pages?limit=0`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /limit/);
  });

  test('a re-run with the same runKey updates the same rows', async () => {
    const before = await tdb.db.query(`SELECT id, url_hash, updated_at FROM page_audits WHERE run_id = $1 ORDER BY url_hash`, [runId]);
    const again = await call('POST', '/api/runs', { url: site.origin, idempotencyKey: 'fixture-1', rerun: true, options: RUN_OPTIONS });
    assert.equal(again.status, 202);
    assert.equal(again.body.runId, runId);
    const done = await waitCompleted(runId);
    assert.equal(done.status, 'completed');
    const after = await tdb.db.query(`SELECT id, url_hash, updated_at FROM page_audits WHERE run_id = $1 ORDER BY url_hash`, [runId]);
    assert.equal(after.length, before.length);
    assert.deepEqual(after.map((r: any) => r.id), before.map((r: any) => r.id), 'same rows, updated in place');
    assert.ok(after.every((r: any, i: number) => new Date(r.updated_at) > new Date(before[i].updated_at)), 'every row was updated');
  });

  test('a rerun in the moment between the row saying completed and the execution closing starts a new execution', async () => {
    const first = await call('POST', '/api/runs', { url: site.origin, idempotencyKey: 'closing-1', options: RUN_OPTIONS });
    assert.equal(first.status, 202);
    const id = first.body.runId as string;
    const wf = client.workflow.getHandle(first.body.workflowId as string);
    const firstRun = (await wf.describe()).runId;
    // Hold the execution open (paused) with its row already saying completed: the moment after its last activity.
    assert.equal((await call('POST', `/api/runs/${id}/pause`)).status, 202);
    await waitFor(async () => ((await wf.query(progressQuery)).paused ? true : null), 30_000, 50);
    await tdb.db.query(`UPDATE audit_runs SET status = 'completed', stage = 'completed' WHERE id = $1`, [id]);
    // The old execution closes a second later, writing nothing more.
    const closeOld = new Promise((r) => setTimeout(r, 1_000)).then(() => wf.terminate('test: the execution closes after its row said completed'));
    const again = await call('POST', '/api/runs', { url: site.origin, idempotencyKey: 'closing-1', rerun: true, options: RUN_OPTIONS });
    await closeOld;
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.runId, id);
    const secondRun = (await wf.describe()).runId;
    assert.notEqual(secondRun, firstRun, 'a new execution started (not the closing one handed back)');
    const done = await waitCompleted(id);
    assert.equal(done.status, 'completed');
    const [row] = await tdb.db.query(`SELECT execution_id FROM audit_runs WHERE id = $1`, [id]);
    assert.equal(row.execution_id, secondRun, 'the row belongs to the new execution');
  });

  test('unknown ids get 404, malformed ids 400', async () => {
    const missing = await call('GET', '/api/runs/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    const bad = await call('GET', `/api/runs/${encodeURIComponent('../../etc/passwd')}`);
    assert.equal(bad.status, 400);
  });

  test('malformed bodies get 400 naming the field, and write nothing', async () => {
    const [{ n: before }] = await tdb.db.query(`SELECT count(*)::int AS n FROM audit_runs`);
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^url: /],
      [{ url: 'ftp://example.com/' }, /^url: must be an absolute http\(s\) URL/],
      [{ url: 'not a url' }, /^url: /],
      [{ url: 42 }, /^url: /],
      [{ url: site.origin, options: { maxPages: -5 } }, /^options\.maxPages: must be >= 1/],
      [{ url: site.origin, options: { maxPages: 'ten' } }, /^options\.maxPages: must be a number/],
      [{ url: site.origin, options: { respectRobots: 'yes' } }, /^options\.respectRobots: must be a boolean/],
      [{ url: site.origin, options: { include: ['('] } }, /^options\.include: /],
      [{ url: site.origin, options: { warpSpeed: 9 } }, /options\.warpSpeed: is not a known field/],
      [{ url: site.origin, idempotencyKey: 'a b/c' }, /^idempotencyKey: /],
      ['{"url": ', /^body: is not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const r = await call('POST', '/api/runs', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error.message, message, JSON.stringify(body));
      assert.ok(r.body.error.code);
    }
    const [{ n: afterCount }] = await tdb.db.query(`SELECT count(*)::int AS n FROM audit_runs`);
    assert.equal(afterCount, before, 'nothing written');
  });

  test('cancel stops a running audit and marks it cancelled', async () => {
    const started = await call('POST', '/api/runs', { url: site.origin, idempotencyKey: 'to-cancel', options: { ...RUN_OPTIONS, parallelBatches: 1, auditBatchSize: 1 } });
    assert.equal(started.status, 202);
    const cancel = await call('POST', `/api/runs/${started.body.runId}/cancel`);
    assert.equal(cancel.status, 202);
    const done = await waitCompleted(started.body.runId);
    assert.equal(done.status, 'cancelled');
    // Compared with the completed run, the cancelled one says it is partial: the pages it did not reach are not a
    // change of the site.
    const cmp = await call('GET', `/api/runs/${started.body.runId}/compare?with=${runId}`);
    assert.equal(cmp.status, 200, JSON.stringify(cmp.body));
    assert.equal(cmp.body.note, `run ${started.body.runId} is cancelled: pages it did not reach count as removed (or added) and their findings as fixed (or new)`);
  });
});
