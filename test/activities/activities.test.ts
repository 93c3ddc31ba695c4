// Activities on a real PostgreSQL and a real fixture site, outside a workflow (MockActivityEnvironment).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { claim, complete, defer, release } from '../../src/activities/frontier';
import { persistChunk, persistScope } from '../../src/activities/persist';
import { failedPageRecord } from '../../src/audit/records';
import { urlHash } from '../../src/audit/url';
import { resolveOptions } from '../../src/workflows/contracts';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { startSlowSite } from '../fixtures/slowSite';
import { initDiscoveredRun, runIn, startActivityHarness, type ActivityHarness } from '../helpers/activities';
import { waitFor, type TestDb } from '../helpers/stack';

describe('activities', () => {
  let site: FixtureSite;
  let tdb: TestDb;
  let harness: ActivityHarness;
  let acts: ActivityHarness['acts'];
  let runId: string;
  const executionId = 'exec-1';
  const options = () => resolveOptions({ siteUrl: site.origin, requestTimeoutMs: 3000, fetchRetries: 0 });

  before(async () => {
    site = await startFixtureSite();
    harness = await startActivityHarness('acts');
    ({ tdb, acts } = harness);
    runId = await initDiscoveredRun(acts, { workflowId: 'site-audit:test:acts', runKey: 'acts', siteUrl: site.origin, executionId, options: options() });
  });

  after(async () => {
    await harness?.close();
    await site?.close();
  });

  test('discovery reads robots.txt and the gzipped sitemap index, and seeds the frontier', async () => {
    const rows = await tdb.db.query(`SELECT url, source, in_sitemap, depth FROM frontier WHERE run_id = $1 ORDER BY url`, [runId]);
    const paths = rows.map((r: any) => new URL(r.url).pathname);
    assert.deepEqual(paths, ['/', '/about', '/dup-a', '/orphan']);
    assert.deepEqual(rows.map((r: any) => r.in_sitemap), [true, true, true, true]);
    const [run] = await tdb.db.query(`SELECT robots_status, robots_txt FROM audit_runs WHERE id = $1`, [runId]);
    assert.equal(run.robots_status, 200);
    assert.match(run.robots_txt, /Disallow: \/private\//);
  });

  const crawlInput = (claimToken: string, extra: Partial<ReturnType<typeof options>> = {}) => ({
    runId, executionId, claimToken, siteUrl: site.origin, options: { ...options(), ...extra },
  });
  const counts = async () => {
    const [r] = await tdb.db.query(
      `SELECT (SELECT count(*)::int FROM page_audits WHERE run_id = $1) AS pages,
              (SELECT count(*)::int FROM page_links WHERE run_id = $1) AS links,
              (SELECT count(*)::int FROM frontier WHERE run_id = $1) AS frontier,
              (SELECT audited + failed FROM audit_runs WHERE id = $1) AS counted`,
      [runId],
    );
    return r;
  };

  test('a claim token holds its URLs: a retried claim returns the same ones minus those completed', async () => {
    const a1 = await claim(tdb.db, runId, `${executionId}:c0`, 2);
    const a2 = await claim(tdb.db, runId, `${executionId}:c0`, 2);
    const b = await claim(tdb.db, runId, `${executionId}:c1`, 2);
    assert.equal(a1.urls.length, 2);
    assert.deepEqual(a2.urls, a1.urls);
    assert.equal(b.urls.length, 2);
    assert.equal(new Set([...a1.urls, ...b.urls].map((u) => u.url)).size, 4);
    const done = await complete(tdb.db, runId, `${executionId}:c0`, [a1.urls[0].urlHash]);
    assert.deepEqual([...done], [a1.urls[0].urlHash]);
    assert.equal((await complete(tdb.db, runId, `${executionId}:c0`, [a1.urls[0].urlHash])).size, 0, 'a repeat completes nothing');
    const again = await claim(tdb.db, runId, `${executionId}:c0`, 2);
    assert.deepEqual(again.urls, [a1.urls[1]]);
    assert.equal(again.held, 2);
    const c = await claim(tdb.db, runId, `${executionId}:c2`, 2);
    assert.deepEqual(c.urls, [], 'the frontier is empty');
    assert.equal(c.retryInMs, null, 'nothing deferred');
    // Give the URLs back for the crawl tests below.
    await tdb.db.query(`UPDATE frontier SET status = 'queued', claim_token = NULL WHERE run_id = $1`, [runId]);
  });

  test('the crawl activity persists as it goes; a retry after a dead attempt fetches only what was not persisted', async () => {
    // A separate run on a slow site (300 ms a page, one at a time), so the first attempt can be cut off mid-batch.
    const slow = await startSlowSite({ pages: 5, delayMs: 300 });
    try {
      const slowOptions = { ...resolveOptions({ siteUrl: slow.origin, requestTimeoutMs: 3000, fetchRetries: 0 }), auditBatchSize: 6, perHostConcurrency: 1, persistBatchSize: 1 };
      const slowRun = await runIn(new MockActivityEnvironment(), acts.initRun, {
        workflowId: 'site-audit:test:resume', runKey: 'resume', siteUrl: slow.origin, executionId, options: slowOptions,
      });
      await runIn(new MockActivityEnvironment(), acts.discover, { runId: slowRun, siteUrl: slow.origin, options: slowOptions });
      const token = `${executionId}:resume`;
      const input = { runId: slowRun, executionId, claimToken: token, siteUrl: slow.origin, options: slowOptions };
      const doneCount = async () => {
        const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM frontier WHERE run_id = $1 AND claim_token = $2 AND status = 'done'`, [slowRun, token]);
        return n as number;
      };
      // First attempt: cancelled (as a dead worker's attempt ends) once two pages are persisted.
      const env1 = new MockActivityEnvironment();
      const first = runIn(env1, acts.crawlBatch, input);
      await waitFor(async () => ((await doneCount()) >= 2 ? true : null), 20_000, 10);
      env1.cancel();
      await assert.rejects(first);
      const done = await doneCount();
      assert.ok(done >= 2 && done <= 3, `the first attempt persisted ${done} of 6 pages`);
      const left: Array<{ url: string }> = await tdb.db.query(`SELECT url FROM frontier WHERE run_id = $1 AND claim_token = $2 AND status = 'claimed'`, [slowRun, token]);
      assert.equal(left.length, 6 - done);
      // Retry (attempt 2, as Temporal runs it on another worker): only the pages not persisted are fetched again.
      const requestsBefore = slow.requests.length;
      const result = await runIn(new MockActivityEnvironment({ attempt: 2 }), acts.crawlBatch, input);
      const fetched = slow.requests.slice(requestsBefore).map((r) => r.path).sort();
      assert.deepEqual(fetched, left.map((l) => new URL(l.url).pathname).sort());
      assert.equal(result.claimed, 6);
      const [c] = await tdb.db.query(
        `SELECT (SELECT count(*)::int FROM page_audits WHERE run_id = $1) AS pages, audited, failed, persisted FROM audit_runs WHERE id = $1`, [slowRun],
      );
      assert.deepEqual({ ...c }, { pages: 6, audited: 6, failed: 0, persisted: 6 }, 'six pages, none twice, counted once each');
      assert.deepEqual(result.counters, { discovered: 6, audited: 6, failed: 0, persisted: 6 });
    } finally {
      await slow.close();
    }
  });

  test('the crawl activity executed twice with the same token writes no duplicate and counts nothing twice', async () => {
    const token = `${executionId}:twice`;
    const first = await runIn(new MockActivityEnvironment(), acts.crawlBatch, crawlInput(token, { auditBatchSize: 3, persistBatchSize: 2 }));
    const afterFirst = await counts();
    const second = await runIn(new MockActivityEnvironment(), acts.crawlBatch, crawlInput(token, { auditBatchSize: 3, persistBatchSize: 2 }));
    const afterSecond = await counts();
    // A step tops its claim up while its queue runs dry (at most 2 x its batch size).
    assert.ok(first.claimed >= 3 && first.claimed <= 6, `claimed ${first.claimed}`);
    assert.equal(second.claimed, first.claimed, 'the retry holds the same claim');
    assert.deepEqual(afterSecond, afterFirst);
    assert.deepEqual(second.counters, first.counters);
    assert.equal(second.enqueued, 0, 'nothing new the second time');
    const [{ n }] = await tdb.db.query(
      `SELECT count(*)::int AS n FROM page_audits p JOIN frontier f ON f.run_id = p.run_id AND f.url_hash = p.url_hash WHERE f.claim_token = $1`,
      [token],
    );
    assert.equal(n, first.claimed);
  });

  test('a stopping step releases what its token still holds: claimable at once by another token, done rows kept', async () => {
    const token = `${executionId}:released`;
    const { urls } = await claim(tdb.db, runId, token, 3);
    assert.equal(urls.length, 3);
    await tdb.db.transaction((tx) => complete(tx, runId, token, [urls[0]!.urlHash]));
    assert.equal(await release(tdb.db, runId, token), 2);
    assert.equal(await release(tdb.db, runId, token), 0, 'a second release finds nothing');
    const next = await claim(tdb.db, runId, `${executionId}:after-release`, 100);
    for (const u of urls.slice(1)) assert.ok(next.urls.some((n) => n.urlHash === u.urlHash && n.defers === u.defers), `${u.url} claimable again, not counted as deferred`);
    assert.ok(!next.urls.some((n) => n.urlHash === urls[0]!.urlHash), 'the completed URL stays done');
    await release(tdb.db, runId, `${executionId}:after-release`);
  });

  test('URLs refused by an open circuit are deferred to the frontier, not recorded as failed', async () => {
    const token = `${executionId}:deferred`;
    const { urls } = await claim(tdb.db, runId, token, 2);
    assert.equal(urls.length, 2);
    assert.equal(await defer(tdb.db, runId, token, urls.map((u) => u.urlHash), 60_000), 2);
    const next = await claim(tdb.db, runId, `${executionId}:after-defer`, 100);
    assert.ok(!next.urls.some((u) => urls.some((d) => d.urlHash === u.urlHash)), 'deferred URLs wait for their time');
    await release(tdb.db, runId, `${executionId}:after-defer`);
    const [{ failed }] = await tdb.db.query(
      `SELECT count(*)::int AS failed FROM page_audits WHERE run_id = $1 AND url_hash = ANY($2)`, [runId, urls.map((u) => u.urlHash)],
    );
    assert.equal(failed, 0);
    const waiting = await claim(tdb.db, runId, `${executionId}:only-deferred`, 0);
    assert.ok(waiting.retryInMs !== null && waiting.retryInMs > 50_000, `the claim says when deferred URLs are due (${waiting.retryInMs})`);
    await tdb.db.query(`UPDATE frontier SET not_before = now() WHERE run_id = $1 AND url_hash = ANY($2)`, [runId, urls.map((u) => u.urlHash)]);
    const retried = await claim(tdb.db, runId, `${executionId}:retry-deferred`, 100);
    assert.ok(urls.every((d) => retried.urls.some((u) => u.urlHash === d.urlHash && u.defers === 1)), 'claimable again once due');
  });

  test("a new execution of a run starts without the previous one's external link checks; a retry of initRun keeps them", async () => {
    const init = (exec: string) => runIn(new MockActivityEnvironment(), acts.initRun, {
      workflowId: 'site-audit:test:rerun-external', runKey: 'rerun-external', siteUrl: site.origin, executionId: exec, options: options(),
    });
    const rerunId = await init('exec-a');
    const cache = async () => (await tdb.db.query(`SELECT url FROM external_links WHERE run_id = $1`, [rerunId])).map((r: { url: string }) => r.url);
    await tdb.db.query(
      `INSERT INTO external_links (run_id, url_hash, url, status_code) VALUES ($1, 'h1', 'https://ext.example/gone', 404)`, [rerunId]);
    assert.equal(await init('exec-a'), rerunId);
    assert.deepEqual(await cache(), ['https://ext.example/gone'], 'a retried initRun of the same execution keeps its checks');
    // A re-run checks external links again: a link fixed since must not stay broken from the earlier run's answer.
    assert.equal(await init('exec-b'), rerunId);
    assert.deepEqual(await cache(), []);
  });

  test("links are written verbatim whatever their anchor text holds (tabs, line breaks, backslashes, multi-byte UTF-8), once per page", async () => {
    const linkRun = await runIn(new MockActivityEnvironment(), acts.initRun, {
      workflowId: 'site-audit:test:link-text', runKey: 'link-text', siteUrl: site.origin, executionId, options: options(),
    });
    const token = `${executionId}:link-text`;
    const page = `${site.origin}/links`;
    await tdb.db.query(
      `INSERT INTO frontier (run_id, url_hash, url, depth, source, status, claim_token) VALUES ($1, $2, $3, 0, 'seed', 'claimed', $4)`,
      [linkRun, urlHash(page), page, token],
    );
    const links = [
      { url: `${site.origin}/a\\b`, text: 'tab\there, line\nbreak\r\nand a \\ backslash', nofollow: false },
      { url: `${site.origin}/plain`, text: 'Plain text', nofollow: true },
      { url: `${site.origin}/nul`, text: 'nul\u0000char', nofollow: false },
      { url: `${site.origin}/%C3%A9t%C3%A9`, text: 'été — 日本語 🚀'.repeat(40), nofollow: false },
      { url: `${site.origin}/plain`, text: 'the same target again', nofollow: false },
    ].map((l) => ({ ...l, urlHash: urlHash(l.url) }));
    const record = () => ({ ...failedPageRecord({ url: page, urlHash: urlHash(page), depth: 0 }, 'http_5xx', 'test', 1), links });
    const target = { runId: linkRun, executionId, claimToken: token };
    const opts = { ...options(), followLinks: false };
    await persistChunk(tdb.db, target, [record()], opts, persistScope(site.origin, opts));
    await persistChunk(tdb.db, target, [record()], opts, persistScope(site.origin, opts));
    const rows = await tdb.db.query(
      `SELECT from_hash, to_hash, to_url, anchor_text, nofollow FROM page_links WHERE run_id = $1 ORDER BY to_url`, [linkRun]);
    assert.deepEqual(rows.map((r: any) => ({ ...r })), [
      { from_hash: urlHash(page), to_hash: links[3].urlHash, to_url: links[3].url, anchor_text: links[3].text, nofollow: false },
      { from_hash: urlHash(page), to_hash: links[0].urlHash, to_url: links[0].url, anchor_text: links[0].text, nofollow: false },
      { from_hash: urlHash(page), to_hash: links[2].urlHash, to_url: links[2].url, anchor_text: 'nulchar', nofollow: false },
      { from_hash: urlHash(page), to_hash: links[1].urlHash, to_url: links[1].url, anchor_text: 'Plain text', nofollow: true },
    ]);
  });
});
