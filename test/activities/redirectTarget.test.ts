// A redirect's target is audited from the response the redirect chain already fetched: adopted into the claim, with
// its own page row, and never fetched a second time by a later claim.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { enqueue, lockRun } from '../../src/activities/frontier';
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
    // Each redirect chain reads its target once; no claim fetches /about on its own.
    assert.equal(fetchesOfAbout, 2);
    // The next claims get /about's own links, never /about itself.
    for (let i = 2; i < 6; i++) await crawl(`${executionId}:${i}`);
    assert.equal(site.requests.filter((r) => r.path === '/about').length, fetchesOfAbout, '/about not fetched again');
    const [{ n, distinct }] = await tdb.db.query(`SELECT count(*)::int AS n, count(DISTINCT url_hash)::int AS distinct FROM page_audits WHERE run_id = $1`, [runId]);
    assert.equal(n, distinct, 'no duplicate page row');
  });
});
