// Progress that moves during a polite crawl: robots.txt says `Crawl-delay: 1`, so eight pages take 7 s or more in one
// crawl activity. GET /api/runs/:id must count pages as they are persisted (the activity flushes at least every
// second and bumps the run row), while the workflow itself — whose query only learns counts when the activity
// returns — still says 0; and elapsed time, rate and ETA are computed when read, so they move between two reads with
// no workflow task in between.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/db/dataSource';
import { progressQuery } from '../../src/workflows/contracts';
import { startSlowSite, type SlowSite } from '../fixtures/slowSite';
import { apiCaller, createTestDatabase, startServices, testConfig, waitFor, type TestDb, type TestServices } from '../helpers/stack';

let site: SlowSite;
let tdb: TestDb;
let db: DataSource;
let services: TestServices;
const call = apiCaller(() => services.api.url);

before(async () => {
  site = await startSlowSite({ pages: 7, delayMs: 20, crawlDelaySeconds: 1 });
  tdb = await createTestDatabase('polite');
  db = await openDatabase({ url: tdb.url, migrate: true });
  services = await startServices(testConfig({ DATABASE_URL: tdb.url, FETCH_RETRIES: '0' }), db);
});

after(async () => {
  await services?.stop();
  await db?.destroy();
  await tdb?.close();
  await site?.close();
});

test('Crawl-delay: 1 — pages are counted while the first crawl batch still runs; elapsed, rate and ETA move when read', async () => {
  // One lane, so "the first batch" is every page of the site (8 ≤ auditBatchSize) and lasts ≥ 7 s.
  const start = await call('POST', '/api/runs', { url: site.origin, options: { maxPages: 8, parallelBatches: 1 } });
  assert.equal(start.status, 202, JSON.stringify(start.body));
  const runId = start.body.runId as string;
  const handle = services.client.workflow.getHandle(start.body.workflowId as string);
  const crawlRunning = async () => ((await handle.describe()).raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'crawlBatch');

  // The first page fetch (not robots.txt or the sitemap).
  await waitFor(async () => site.requests.length > 0, 60_000, 50);
  const firstFetchAt = site.requests[0].at;

  // Counted through the API within ~3 s of that fetch (a chunk is flushed at least every second).
  const seen = await waitFor(async () => {
    const v = (await call('GET', `/api/runs/${runId}`)).body;
    return v.counters.audited >= 1 ? { view: v, at: Date.now() } : null;
  }, 10_000, 100);
  assert.ok(seen.at - firstFetchAt < 3_000, `counted ${seen.at - firstFetchAt} ms after the first fetch`);
  // …while the crawl activity of the first batch is still running, and the workflow itself has not seen a page yet.
  assert.equal(await crawlRunning(), true, 'the crawl activity is still running');
  const fromWorkflow = await handle.query(progressQuery);
  assert.equal(fromWorkflow.audited, 0, 'the workflow has not seen the batch finish');
  assert.ok(seen.view.counters.audited < 8);
  assert.equal(seen.view.stage, 'auditing');
  assert.ok(seen.view.progress.pagesPerMinute > 0, 'a rate from the counted pages');
  assert.ok(typeof seen.view.progress.etaMs === 'number' && seen.view.progress.etaMs > 0, 'an ETA from the counted pages');

  // Two reads ~1.5 s apart with no workflow task in between (same history length, activity still running): elapsed
  // time grows by the wall-clock gap, pages keep being counted. A window that did see an event is tried again.
  let checked = false;
  for (let attempt = 0; attempt < 4 && !checked; attempt++) {
    const h1 = (await handle.describe()).historyLength;
    const a = (await call('GET', `/api/runs/${runId}`)).body;
    await new Promise((r) => setTimeout(r, 1_500));
    const b = (await call('GET', `/api/runs/${runId}`)).body;
    const h2 = (await handle.describe()).historyLength;
    if (h1 !== h2 || !(await crawlRunning())) continue;
    checked = true;
    assert.ok(b.progress.elapsedMs - a.progress.elapsedMs >= 1_000, `elapsedMs ${a.progress.elapsedMs} → ${b.progress.elapsedMs}`);
    assert.ok(b.counters.audited >= a.counters.audited);
  }
  assert.ok(checked, 'found two reads with no workflow task between them while the crawl ran');

  const done = await waitFor(async () => {
    const v = (await call('GET', `/api/runs/${runId}`)).body;
    return v.status === 'completed' ? v : null;
  }, 60_000, 250);
  assert.equal(done.counters.audited, 8);
  // Polite: requests at least ~1 s apart.
  const gaps = site.requests.slice(1).map((r, i) => r.at - site.requests[i].at);
  assert.ok(gaps.every((g) => g >= 900), `gaps ${gaps.join(',')}`);
});
