// A redirect's target is audited from the response the redirect chain already fetched: adopted into the claim, with
// its own page row, and never fetched a second time by a later claim.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { claim, enqueue, lockRun } from '../../src/activities/frontier';
import { frontierAnswer, RunHopBook } from '../../src/activities/hopBook';
import { normalizeUrl, urlHash } from '../../src/audit/url';
import { resolveOptions } from '../../src/workflows/contracts';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { initDiscoveredRun, runIn, startActivityHarness, type ActivityHarness } from '../helpers/activities';
import type { TestDb } from '../helpers/stack';

describe('redirect targets', () => {
  let site: FixtureSite;
  let tdb: TestDb;
  let harness: ActivityHarness;
  let acts: ActivityHarness['acts'];
  let runId: string;
  const executionId = 'exec-redirect';
  const options = () => resolveOptions({ siteUrl: site.origin, requestTimeoutMs: 3000, fetchRetries: 0, perHostConcurrency: 2 });

  before(async () => {
    site = await startFixtureSite();
    harness = await startActivityHarness('redirect_target');
    ({ tdb, acts } = harness);
    runId = await initDiscoveredRun(acts, { workflowId: 'site-audit:test:redirect', runKey: 'redirect', siteUrl: site.origin, executionId, options: options() }, { ...options(), useSitemaps: false });
    // Only the two redirecting URLs are queued: /about is reachable only through them.
    await tdb.db.query(`DELETE FROM frontier WHERE run_id = $1`, [runId]);
    await tdb.db.query(`UPDATE audit_runs SET discovered = 0 WHERE id = $1`, [runId]);
    await tdb.db.transaction(async (tx) => {
      await lockRun(tx, runId);
      const items = ['/old-page', '/redirect-chain'].map((p) => {
        const url = normalizeUrl(`${site.origin}${p}`)!;
        return { url, urlHash: urlHash(url), depth: 1, source: 'link' as const, inSitemap: false };
      });
      await enqueue(tx, runId, items, 100);
    });
  });

  after(async () => {
    await harness?.close();
    await site?.close();
  });

  test('the target joins the claim once, gets its own page row, and is not fetched again', async () => {
    const crawl = (claimToken: string) => runIn(new MockActivityEnvironment(), acts.crawlBatch, { runId, executionId, claimToken, siteUrl: site.origin, options: options() });
    const first = await crawl(`${executionId}:1`);
    assert.equal(first.claimed, 2);
    const rows: Array<{ path: string; status_code: number; depth: number; status: string }> = await tdb.db.query(
      `SELECT regexp_replace(url, '^https?://[^/]+', '') AS path, status_code, depth, status FROM page_audits WHERE run_id = $1 ORDER BY url`, [runId],
    );
    assert.deepEqual(rows.map((r) => [r.path, r.status_code, r.depth, r.status]), [
      ['/about', 200, 2, 'ok'],
      ['/old-page', 301, 1, 'ok'],
      ['/redirect-chain', 301, 1, 'ok'],
    ]);
    const [about] = await tdb.db.query(`SELECT status, claim_token FROM frontier WHERE run_id = $1 AND url LIKE '%/about'`, [runId]);
    assert.deepEqual(about, { status: 'done', claim_token: `${executionId}:1` }, 'adopted into the claim and completed with it');
    assert.equal(first.counters.audited, 3, 'counted once');
    const fetchesOfAbout = site.requests.filter((r) => r.path === '/about').length;
    // The first chain reads the target, the second stops at the hop the run already answered; no claim fetches /about.
    assert.equal(fetchesOfAbout, 1);
    // The next claims get /about's own links, never /about itself.
    for (let i = 2; i < 6; i++) await crawl(`${executionId}:${i}`);
    assert.equal(site.requests.filter((r) => r.path === '/about').length, fetchesOfAbout, '/about not fetched again');
    const [{ n, distinct }] = await tdb.db.query(`SELECT count(*)::int AS n, count(DISTINCT url_hash)::int AS distinct FROM page_audits WHERE run_id = $1`, [runId]);
    assert.equal(n, distinct, 'no duplicate page row');
  });

  test('another worker answers from the frontier: a redirect to a completed target stops there, with its final status', async () => {
    // A fresh book, as in another worker process: it knows nothing but what the frontier and the page rows say.
    const book = new RunHopBook(frontierAnswer(tdb.db, runId, executionId));
    const before = site.requests.length;
    const res = await harness.fetcher.fetchPage(`${site.origin}/redirect-chain`, { timeoutMs: 3000, maxBytes: 1_000_000, maxRedirects: 5, userAgent: 'test', retries: 0, hops: book });
    assert.deepEqual(site.requests.slice(before).map((r) => r.path), ['/redirect-chain', '/redirect-step'], '/about is not requested again');
    assert.equal(res.finalKnown, true);
    assert.equal(res.finalUrl, `${site.origin}/about`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, null);
    assert.deepEqual(res.redirectChain.map((h) => [h.url.slice(site.origin.length), h.status]), [['/redirect-chain', 301], ['/redirect-step', 301]]);
    // A redirect the frontier completed answers with its first hop: the chain goes on to its (known) target.
    const old = await harness.fetcher.fetchPage(`${site.origin}/old-page`, { timeoutMs: 3000, maxBytes: 1_000_000, maxRedirects: 5, userAgent: 'test', retries: 0, hops: book });
    assert.equal(old.finalKnown, true);
    assert.equal(site.requests.slice(before).filter((r) => r.path === '/about').length, 0);
  });

  test('a target another step holds when the chain reads it takes that record instead of being fetched again', async () => {
    const exec2 = 'exec-redirect-2';
    const run2 = await runIn(new MockActivityEnvironment(), acts.initRun, {
      workflowId: 'site-audit:test:redirect-2', runKey: 'redirect-2', siteUrl: site.origin, executionId: exec2, options: options(),
    });
    await runIn(new MockActivityEnvironment(), acts.discover, { runId: run2, siteUrl: site.origin, options: { ...options(), useSitemaps: false } });
    await tdb.db.query(`DELETE FROM frontier WHERE run_id = $1`, [run2]);
    await tdb.db.query(`UPDATE audit_runs SET discovered = 0 WHERE id = $1`, [run2]);
    await tdb.db.transaction(async (tx) => {
      await lockRun(tx, run2);
      await enqueue(tx, run2, ['/about', '/old-page'].map((p) => {
        const url = normalizeUrl(`${site.origin}${p}`)!;
        return { url, urlHash: urlHash(url), depth: 1, source: 'link' as const, inSitemap: false };
      }), 100);
    });
    // Step 1 holds /about (claimed, not started); step 2 crawls /old-page, whose chain reads /about.
    const held = await claim(tdb.db, run2, `${exec2}:1`, 1);
    assert.deepEqual(held.urls.map((u) => u.url.slice(site.origin.length)), ['/about']);
    const before = site.requests.filter((r) => r.path === '/about').length;
    const crawl = (claimToken: string) => runIn(new MockActivityEnvironment(), acts.crawlBatch, { runId: run2, executionId: exec2, claimToken, siteUrl: site.origin, options: options() });
    await crawl(`${exec2}:2`);
    assert.equal(site.requests.filter((r) => r.path === '/about').length, before + 1);
    await crawl(`${exec2}:1`);
    assert.equal(site.requests.filter((r) => r.path === '/about').length, before + 1, 'step 1 took the record the chain read');
    const rows: Array<{ path: string; status_code: number; title: string | null }> = await tdb.db.query(
      `SELECT regexp_replace(url, '^https?://[^/]+', '') AS path, status_code, title FROM page_audits WHERE run_id = $1 ORDER BY url`, [run2],
    );
    assert.deepEqual(rows.map((r) => [r.path, r.status_code, r.title !== null]), [['/about', 200, true], ['/old-page', 301, false]]);
    const [{ status }] = await tdb.db.query(`SELECT status FROM frontier WHERE run_id = $1 AND url LIKE '%/about'`, [run2]);
    assert.equal(status, 'done');
  });
});
