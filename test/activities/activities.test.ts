// Activities on a real PostgreSQL and a real fixture site, outside a workflow (MockActivityEnvironment).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import type { AuditHeartbeat } from '../../src/activities/audit';
import type { ClaimedUrl } from '../../src/activities/types';
import { normalizeUrl, urlHash } from '../../src/audit/url';
import { Fetcher } from '../../src/crawl/fetcher';
import type { Politeness } from '../../src/crawl/politeness';
import { createLogger } from '../../src/logger';
import { createSharedPoliteness } from '../../src/temporal/createWorker';
import { resolveOptions } from '../../src/workflows/contracts';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { createTestDatabase, testConfig, type TestDb } from '../helpers/stack';

/** MockActivityEnvironment.run with the activity's own types. */
function runIn<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

describe('activities', () => {
  let site: FixtureSite;
  let tdb: TestDb;
  let fetcher: Fetcher;
  let politeness: Politeness;
  let acts: ReturnType<typeof createActivities>;
  let runId: string;
  const executionId = 'exec-1';
  const options = () => resolveOptions({ siteUrl: site.origin, requestTimeoutMs: 3000, fetchRetries: 0 });
  const claimed = (paths: string[]): ClaimedUrl[] =>
    paths.map((p) => {
      const url = normalizeUrl(site.origin + p)!;
      return { url, urlHash: urlHash(url), depth: 1 };
    });

  before(async () => {
    site = await startFixtureSite();
    tdb = await createTestDatabase('acts');
    const config = testConfig();
    fetcher = new Fetcher({ connectionsPerHost: 4, allowPrivateTargets: true });
    politeness = createSharedPoliteness(tdb.db, createLogger('warn'));
    acts = createActivities({ db: tdb.db, fetcher, politeness, crawl: config.crawl, log: createLogger('warn') });
    runId = await runIn(new MockActivityEnvironment(), acts.initRun, {
      workflowId: 'site-audit:test:acts', runKey: 'acts', siteUrl: site.origin, executionId, options: options(),
    });
    await runIn(new MockActivityEnvironment(), acts.discover, { runId, siteUrl: site.origin, options: options() });
  });

  after(async () => {
    await politeness?.close();
    await fetcher?.close();
    await tdb?.close();
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

  test('the audit activity resumes from heartbeat details instead of starting over', async () => {
    const urls = claimed(['/about', '/thin', '/two-h1', '/no-h1']);
    const input = { runId, claimToken: 'exec-1:resume', urls, options: options() };
    // First attempt: audit everything; then suppose it died after its heartbeat that covered the first two pages.
    const env1 = new MockActivityEnvironment();
    const beats: AuditHeartbeat[] = [];
    env1.on('heartbeat', (d: AuditHeartbeat) => beats.push(structuredClone(d)));
    const first = await runIn(env1, acts.auditBatch, { ...input, options: { ...input.options, perHostConcurrency: 1 } });
    assert.ok(beats.length >= 1, 'the batch heartbeats its records');
    assert.equal(beats[0].claimToken, input.claimToken);
    const afterTwo: AuditHeartbeat = { claimToken: input.claimToken, records: [first.records[0], first.records[1], null, null] };
    // Retry: Temporal hands the last heartbeat back; only the pages after it are fetched again.
    const requestsBefore = site.requests.length;
    const env2 = new MockActivityEnvironment({ heartbeatDetails: afterTwo, attempt: 2 });
    const result = await runIn(env2, acts.auditBatch, input);
    const fetched = site.requests.slice(requestsBefore).map((r) => r.path);
    assert.equal(result.resumedFrom, 2);
    assert.deepEqual(fetched.sort(), ['/no-h1', '/two-h1']);
    assert.deepEqual(result.records.slice(0, 2), afterTwo.records.slice(0, 2));
    assert.deepEqual(result.records.map((r) => new URL(r.url).pathname), ['/about', '/thin', '/two-h1', '/no-h1']);
    assert.ok(result.records[1].issues.some((i) => i.code === 'thin_content'));
  });

  test('a retried claim returns the same URLs; a new token claims others', async () => {
    const env = new MockActivityEnvironment();
    const a1 = await runIn(env, acts.claimBatch, { runId, claimToken: `${executionId}:0`, size: 2 });
    const a2 = await runIn(env, acts.claimBatch, { runId, claimToken: `${executionId}:0`, size: 2 });
    const b = await runIn(env, acts.claimBatch, { runId, claimToken: `${executionId}:1`, size: 2 });
    assert.equal(a1.length, 2);
    assert.deepEqual(a2, a1);
    assert.equal(b.length, 2);
    assert.equal(new Set([...a1, ...b].map((u) => u.url)).size, 4);
    const c = await runIn(env, acts.claimBatch, { runId, claimToken: `${executionId}:2`, size: 2 });
    assert.deepEqual(c, [], 'the frontier is empty');
  });

  test('the persist activity executed twice on the same batch writes no duplicate', async () => {
    const urls = claimed(['/', '/broken-links', '/dup-a']);
    const { records } = await runIn(new MockActivityEnvironment(), acts.auditBatch, { runId, claimToken: 'exec-1:persist', urls, options: options() });
    const input = { runId, executionId, records, siteUrl: site.origin, options: { ...options(), persistBatchSize: 2 } };
    const counts = async () => {
      const [r] = await tdb.db.query(
        `SELECT (SELECT count(*)::int FROM page_audits WHERE run_id = $1) AS pages,
                (SELECT count(*)::int FROM page_links WHERE run_id = $1) AS links,
                (SELECT count(*)::int FROM frontier WHERE run_id = $1) AS frontier`,
        [runId],
      );
      return r;
    };
    const first = await runIn(new MockActivityEnvironment(), acts.persistBatch, input);
    const afterFirst = await counts();
    const second = await runIn(new MockActivityEnvironment(), acts.persistBatch, input);
    const afterSecond = await counts();
    assert.deepEqual(afterSecond, afterFirst);
    assert.deepEqual(second.counters, first.counters);
    assert.ok(first.enqueued > 10, 'links of the home page were enqueued');
    assert.equal(second.enqueued, 0, 'nothing new the second time');
    const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM page_audits WHERE run_id = $1 AND url_hash = $2`, [runId, urls[0].urlHash]);
    assert.equal(n, 1);
  });
});
