// The summarizing stage at scale, on rows generated directly in PostgreSQL (no crawl): the site queries' plans after
// summarize's ANALYZE step have no nested loop re-scanning a run's rows, summarize over 5,000 pages / 200,000 links is
// quick, and a run with more than 10,000 site findings keeps a small summary (and workflow result) while the report and
// the export still give every finding from the site_issues table.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { CHECK_PLANNER_SETTINGS, HOT_SITE_QUERIES, SITE_CHECKS, analyzeRunTables, computeSiteIssues } from '../../src/db/siteChecks';
import { clickDepths } from '../../src/db/siteChecks/structure';
import { createSummarizeActivities } from '../../src/activities/summarize';
import { buildSummary, SUMMARY_LIST_CAP, SUMMARY_SITE_ISSUES } from '../../src/audit/summary';
import { ORDINAL_STRIDE, readSiteIssues, siteIssueExamples } from '../../src/db/repositories/siteIssues';
import type { RunSummary, SiteIssue } from '../../src/workflows/contracts';
import { connectTestClient, createTestDatabase, startTestApi, testConfig, type TestDb } from '../helpers/stack';

const EXEC = 'exec-scale';
const md5Hex = (s: string) => createHash('md5').update(s).digest('hex');
const SCANNED = new Set(['page_links', 'page_audits', 'frontier']);

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Cond'?: string; 'Parent Relationship'?: string; Plans?: PlanNode[] };

/**
 * Nested loops whose inner side re-reads a run's rows for every outer row: a Seq Scan of page_links / page_audits /
 * frontier, or an index scan on them whose condition is only the run id (not the join key). Returns a description of
 * each, empty when the plan is safe.
 */
function badNestedLoops(plan: PlanNode): string[] {
  const bad: string[] = [];
  const scansOfInner = (n: PlanNode, out: PlanNode[]) => {
    if (n.Plans === undefined || /Scan$/.test(n['Node Type'])) out.push(n);
    for (const c of n.Plans ?? []) if (!/Scan$/.test(n['Node Type'])) scansOfInner(c, out);
    return out;
  };
  const walk = (n: PlanNode) => {
    if (n['Node Type'] === 'Nested Loop' && n.Plans?.length === 2) {
      const inner = n.Plans.find((p) => p['Parent Relationship'] === 'Inner') ?? n.Plans[1];
      for (const s of scansOfInner(inner, [])) {
        const rel = s['Relation Name'];
        if (!rel || !SCANNED.has(rel)) continue;
        if (s['Node Type'] === 'Seq Scan') bad.push(`Nested Loop, inner Seq Scan on ${rel}`);
        else if (s['Index Cond'] && !/hash|url|\.id\b/.test(s['Index Cond'].replace(/run_id/g, ''))) bad.push(`Nested Loop, inner ${s['Node Type']} on ${rel} by run only: ${s['Index Cond']}`);
      }
    }
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(plan);
  return bad;
}

describe('summarize at scale', () => {
  let tdb: TestDb;
  let client: Client | undefined;
  let api: { url: string; close(): Promise<void> } | undefined;
  let bigRun: string;
  let manyRun: string;

  const newRun = async (key: string): Promise<string> => {
    const [row] = await tdb.db.query(
      `INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, status, stage, execution_id, started_at)
       VALUES ($1, $1, $2, $3, 'running', 'summarizing', $4, now()) RETURNING id`,
      [`site-audit:${key}.test:${key}`, `http://${key}.test/`, `${key}.test`, EXEC],
    );
    return row.id;
  };

  before(async () => {
    tdb = await createTestDatabase('summ');
    // 5,000 pages: every 100th a 404, every 100th + 1 a 301, shared titles, a few canonicals; 40 links per page.
    bigRun = await newRun('big');
    await tdb.db.query(
      `INSERT INTO page_audits (run_id, url_hash, url, final_url, status, status_code, depth, title, description, canonical,
                                indexable, noindex, word_count, lang, content_hash, simhash, execution_id)
       SELECT $1, md5(u), u, CASE WHEN i % 100 = 1 THEN u || '/moved' END, 'ok',
              CASE WHEN i % 100 = 0 AND i > 0 THEN 404 WHEN i % 100 = 1 THEN 301 ELSE 200 END, 1,
              'Title ' || (i % 2000), 'Description ' || i, CASE WHEN i % 97 = 5 THEN 'http://big.test/p/' || (i + 95) END,
              i % 100 > 1 OR i = 0, false, 300, 'en', md5('c' || i), substr(md5('s' || i), 1, 16), $2
         FROM generate_series(0, 4999) i, LATERAL (SELECT 'http://big.test/p/' || i AS u) x`,
      [bigRun, EXEC],
    );
    await tdb.db.query(
      `INSERT INTO page_links (run_id, from_hash, to_hash, to_url, anchor_text, nofollow)
       SELECT $1, md5('http://big.test/p/' || i), md5('http://big.test/p/' || t), 'http://big.test/p/' || t, 'link ' || j, j = 39 AND i % 10 = 0
         FROM generate_series(0, 4999) i, generate_series(0, 39) j, LATERAL (SELECT (i * 7 + j * 131 + 1) % 5000 AS t) x
       ON CONFLICT DO NOTHING`,
      [bigRun],
    );
    await tdb.db.query(
      `INSERT INTO frontier (run_id, url_hash, url, depth, source, in_sitemap, status)
       SELECT $1, md5('http://big.test/p/' || i), 'http://big.test/p/' || i, 1, CASE WHEN i = 0 THEN 'seed' ELSE 'link' END, i % 3 = 0, 'done'
         FROM generate_series(0, 4999) i`,
      [bigRun],
    );

    // 12,000 pages: one hub linking 11,999 pages that all answer 404 and are all in the sitemap.
    manyRun = await newRun('many');
    await tdb.db.query(
      `INSERT INTO page_audits (run_id, url_hash, url, status, status_code, depth, title, indexable, noindex, execution_id)
       SELECT $1, md5(u), u, 'ok', CASE WHEN i = 0 THEN 200 ELSE 404 END, 1, 'Page ' || i, i = 0, false, $2
         FROM generate_series(0, 11999) i, LATERAL (SELECT 'http://many.test/' || CASE WHEN i = 0 THEN '' ELSE 'gone/' || i END AS u) x`,
      [manyRun, EXEC],
    );
    await tdb.db.query(
      `INSERT INTO page_links (run_id, from_hash, to_hash, to_url, anchor_text)
       SELECT $1, md5('http://many.test/'), md5('http://many.test/gone/' || i), 'http://many.test/gone/' || i, 'Gone ' || i
         FROM generate_series(1, 11999) i`,
      [manyRun],
    );
    await tdb.db.query(
      `INSERT INTO frontier (run_id, url_hash, url, depth, source, in_sitemap, status)
       SELECT $1, md5(u), u, 1, CASE WHEN i = 0 THEN 'seed' ELSE 'sitemap' END, i > 0, 'done'
         FROM generate_series(0, 11999) i, LATERAL (SELECT 'http://many.test/' || CASE WHEN i = 0 THEN '' ELSE 'gone/' || i END AS u) x`,
      [manyRun],
    );
  });

  after(async () => {
    await api?.close();
    await client?.connection.close();
    await tdb?.close();
  });

  test('the ANALYZE step waits for an autovacuum of its tables 50 ms, not deadlock_timeout (1 s), and only in its transaction', async () => {
    const inside = await tdb.db.transaction(async (tx) => {
      await analyzeRunTables(tx);
      const [r] = await tx.query(`SHOW deadlock_timeout`);
      return r.deadlock_timeout;
    });
    assert.equal(inside, '50ms');
    const [outside] = await tdb.db.query(`SHOW deadlock_timeout`);
    assert.equal(outside.deadlock_timeout, '1s');
  });

  test('after the ANALYZE step, no hot site query plans a nested loop that re-reads the run for each row', async () => {
    await tdb.db.transaction((tx) => analyzeRunTables(tx));
    assert.ok(HOT_SITE_QUERIES.length >= 8);
    // With PostgreSQL's defaults and with the settings the checks run under.
    for (const settings of [null, CHECK_PLANNER_SETTINGS]) {
      for (const q of HOT_SITE_QUERIES) {
        const plan = await tdb.db.transaction(async (tx) => {
          if (settings) await tx.query(settings);
          const [row] = await tx.query(`EXPLAIN (FORMAT JSON) ${q.sql}`, [bigRun, ...(q.params ?? [])]);
          return (row['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0].Plan;
        });
        assert.deepEqual(badNestedLoops(plan), [], `${q.name} (${settings ?? 'defaults'}): ${JSON.stringify(plan)}`);
      }
    }
    // The check can fail: forbid hash and merge joins and index scans, and the plan of the link query that joins the
    // source pages (links to redirects) is flagged.
    const links = HOT_SITE_QUERIES.find((q) => q.name === 'internal_link_to_redirect')!;
    const forced = await tdb.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL enable_hashjoin = off`);
      await tx.query(`SET LOCAL enable_mergejoin = off`);
      await tx.query(`SET LOCAL enable_indexscan = off`);
      await tx.query(`SET LOCAL enable_bitmapscan = off`);
      const [r] = await tx.query(`EXPLAIN (FORMAT JSON) ${links.sql}`, [bigRun, ...(links.params ?? [])]);
      return (r['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0].Plan;
    });
    assert.ok(badNestedLoops(forced).some((b) => /Seq Scan on page_(links|audits)/.test(b)), JSON.stringify(forced));
  });

  test('summarize over 5,000 pages and 200,000 links takes seconds, and its result stays small', async () => {
    const [{ links }] = await tdb.db.query(`SELECT count(*)::int AS links FROM page_links WHERE run_id = $1`, [bigRun]);
    assert.ok(links > 190_000, `${links} links`);
    const { summarize } = createSummarizeActivities({ db: tdb.db });
    const t0 = Date.now();
    const summary = await summarize({ runId: bigRun, executionId: EXEC, startedAt: Date.now() });
    const ms = Date.now() - t0;
    console.log(`summarize: 5,000 pages, ${links} links, ${summary.siteIssuesTotal} site findings in ${ms} ms`);
    // Nested loops over the run's rows took ~50 s at 2,000 pages; a bound far below that, far above the measured time.
    assert.ok(ms < 20_000, `summarize took ${ms} ms`);
    assert.equal(summary.pagesAudited, 5_000);
    assert.equal(summary.siteIssuesByCode.broken_internal_link, 49, 'every 100th page but the first is a 404 link target');
    assert.equal(summary.siteIssuesByCode.internal_link_to_redirect, 50);
    assert.ok(summary.siteIssuesByCode.duplicate_title > 1_000);
    const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM site_issues WHERE run_id = $1`, [bigRun]);
    assert.equal(n, summary.siteIssuesTotal);
    assert.ok(JSON.stringify(summary).length < 100_000);
    // The link checks' findings are inserted by PostgreSQL itself (INSERT … SELECT), the others pass through the worker:
    // what is stored is exactly what each check's query gives, and the summary's top list (built from the capped rows
    // the insert returned) is the one the complete stored list gives.
    const stored = await readSiteIssues(tdb.db, bigRun);
    assert.deepEqual(stored, await computeSiteIssues(tdb.db, bigRun));
    assert.ok(stored.some((s) => s.code === 'broken_internal_link' && (s.sources?.length ?? 0) > SUMMARY_LIST_CAP), 'a target with more sources than the summary lists');
    const fromStored = buildSummary({ pagesAudited: 0, pagesFailed: 0, durationMs: 0, failReasons: [], issueCounts: [], statusCodes: [], siteIssues: stored });
    assert.deepEqual(summary.siteIssues, fromStored.siteIssues);
    assert.deepEqual(summary.siteIssuesByCode, fromStored.siteIssuesByCode);
    assert.ok(summary.siteIssues.some((s) => s.code === 'broken_internal_link' && s.sourcesCount !== undefined && s.sourcesCount > SUMMARY_LIST_CAP));

    // The CLI's examples: every kind the run has, the two covering the most pages (a link's sources, a group's pages;
    // ties in stored order), first page only, critical kinds first.
    const examples = await siteIssueExamples(tdb.db, bigRun, 2);
    const kinds = [...new Set(stored.map((s) => s.code))];
    assert.deepEqual([...new Set(examples.map((e) => e.code))].sort(), [...kinds].sort());
    const covered = (s: SiteIssue) => s.sourcesCount ?? (s.sources?.length || s.count);
    assert.ok(stored.some((s) => s.sources && covered(s) !== s.count), 'a finding whose sources outnumber its count');
    for (const code of kinds) {
      const best = stored.filter((s) => s.code === code).sort((a, b) => covered(b) - covered(a)).slice(0, 2);
      assert.deepEqual(examples.filter((e) => e.code === code).map((e) => [covered(e), e.count, e.pages]), best.map((s) => [covered(s), s.count, s.pages.slice(0, 1)]), code);
    }
    const sevRank = (e: { severity: string }) => ['critical', 'warning', 'notice'].indexOf(e.severity);
    assert.deepEqual(examples.map(sevRank), examples.map(sevRank).sort((a, b) => a - b));
  });

  test('click depth: levels read bottom-up give every page the depth a top-down breadth-first search gives', async () => {
    // A wide first level (300 pages linking each other), then a chain of 5 pages off its first page, and 100 orphans:
    // level 2 is read bottom-up (300 pages in the level, 105 left unreached), the chain's levels top-down again (1 page
    // in the level, 104 unreached: under the direction switch).
    const chainRun = await newRun('chain');
    const urls = ['http://chain.test/', ...Array.from({ length: 300 }, (_, i) => `http://chain.test/p/${i + 1}`),
      ...Array.from({ length: 5 }, (_, i) => `http://chain.test/c/${i + 1}`), 'http://chain.test/orphan',
      ...Array.from({ length: 99 }, (_, i) => `http://chain.test/o/${i + 1}`)];
    await tdb.db.query(
      `INSERT INTO page_audits (run_id, url_hash, url, status, status_code, depth, indexable, noindex, execution_id)
       SELECT $1, md5(u), u, 'ok', 200, 1, true, false, $3 FROM unnest($2::text[]) u`,
      [chainRun, urls, EXEC],
    );
    const edges: Array<[string, string]> = [
      ...Array.from({ length: 300 }, (_, i): [string, string] => ['http://chain.test/', `http://chain.test/p/${i + 1}`]),
      ...Array.from({ length: 300 }, (_, i): [string, string] => [`http://chain.test/p/${i + 1}`, `http://chain.test/p/${((i + 1) % 300) + 1}`]),
      ['http://chain.test/p/1', 'http://chain.test/c/1'],
      ...Array.from({ length: 4 }, (_, i): [string, string] => [`http://chain.test/c/${i + 1}`, `http://chain.test/c/${i + 2}`]),
      ['http://chain.test/c/5', 'http://chain.test/'],
    ];
    await tdb.db.query(
      `INSERT INTO page_links (run_id, from_hash, to_hash, to_url, anchor_text)
       SELECT $1, md5(f), md5(t), t, '' FROM unnest($2::text[], $3::text[]) AS e(f, t)`,
      [chainRun, edges.map((e) => e[0]), edges.map((e) => e[1])],
    );
    await tdb.db.query(
      `INSERT INTO frontier (run_id, url_hash, url, depth, source, in_sitemap, status) VALUES ($1, md5($2), $2, 0, 'seed', false, 'done')`,
      [chainRun, urls[0]],
    );
    let bottomUpLevels = 0;
    const counting = {
      query: (sql: string, params?: unknown[]) => {
        if (sql.includes('LATERAL')) bottomUpLevels++;
        return tdb.db.query(sql, params);
      },
    };
    const depthsOf = async (m: Map<string, number>) => {
      const rows: Array<{ url: string; url_hash: string }> = await tdb.db.query(`SELECT url, url_hash FROM page_audits WHERE run_id = $1`, [chainRun]);
      return Object.fromEntries(rows.filter((r) => !r.url.includes('/p/') && !r.url.includes('/o/')).map((r) => [r.url, m.get(r.url_hash) ?? null]));
    };
    const expected = {
      'http://chain.test/': 0, 'http://chain.test/c/1': 2, 'http://chain.test/c/2': 3, 'http://chain.test/c/3': 4,
      'http://chain.test/c/4': 5, 'http://chain.test/c/5': 6, 'http://chain.test/orphan': null,
    };
    const mixed = await clickDepths(counting, chainRun);
    assert.equal(bottomUpLevels, 1, 'the level after the wide one is read bottom-up');
    assert.deepEqual(await depthsOf(mixed), expected);
    assert.deepEqual(await depthsOf(await clickDepths(tdb.db, chainRun, { bottomUp: false })), expected);
    assert.ok([...Array(300).keys()].every((i) => mixed.get(md5Hex(`http://chain.test/p/${i + 1}`)) === 1));
    assert.ok([...Array(99).keys()].every((i) => !mixed.has(md5Hex(`http://chain.test/o/${i + 1}`))));

    // And on the 5,000-page run with 40 links per page, both directions agree on every page.
    const pages: Array<{ url_hash: string }> = await tdb.db.query(`SELECT url_hash FROM page_audits WHERE run_id = $1`, [bigRun]);
    const at = (m: Map<string, number>) => pages.map((p) => m.get(p.url_hash) ?? -1);
    const topDown = await clickDepths(tdb.db, bigRun, { bottomUp: false });
    bottomUpLevels = 0;
    assert.deepEqual(at(await clickDepths(counting, bigRun)), at(topDown));
    assert.ok(bottomUpLevels >= 1, 'a level of the 5,000-page run is read bottom-up');
    assert.ok(new Set(at(topDown)).size >= 4, `depths ${[...new Set(at(topDown))]}`);
  });

  test('more than 10,000 site findings: a small summary, and the report and export still list every one', async () => {
    const { summarize } = createSummarizeActivities({ db: tdb.db });
    const t0 = Date.now();
    const summary: RunSummary = await summarize({ runId: manyRun, executionId: EXEC, startedAt: Date.now() });
    console.log(`summarize: 12,000 pages, ${summary.siteIssuesTotal} site findings in ${Date.now() - t0} ms, result ${JSON.stringify(summary).length} bytes`);
    assert.ok(summary.siteIssuesTotal > 10_000);
    assert.equal(summary.siteIssuesByCode.broken_internal_link, 11_999);
    assert.equal(summary.issuesByCode.broken_internal_link, 11_999);
    assert.equal(summary.issuesByCode.sitemap_non_200, 11_999);
    assert.ok(JSON.stringify(summary).length < 100_000, `result ${JSON.stringify(summary).length} bytes`);
    assert.ok(summary.siteIssues.length > 0 && summary.siteIssues.length <= SUMMARY_SITE_ISSUES);
    for (const s of summary.siteIssues) {
      assert.ok(s.pages.length <= SUMMARY_LIST_CAP && (s.sources?.length ?? 0) <= SUMMARY_LIST_CAP, s.code);
    }
    assert.equal(summary.siteIssues.length, SUMMARY_SITE_ISSUES);
    assert.ok(summary.siteIssues.every((s) => s.code === 'broken_internal_link'), 'the 11,999 critical findings come before the warnings');
    const big = buildSummary({ pagesAudited: 1, pagesFailed: 0, durationMs: 1, failReasons: [], issueCounts: [], statusCodes: [], siteIssues: await readSiteIssues(tdb.db, manyRun, 'sitemap_non_200') });
    assert.equal(big.siteIssues[0].count, 11_999, 'a capped entry keeps its full count');
    assert.equal(big.siteIssues[0].pages.length, SUMMARY_LIST_CAP);
    const [{ bytes }] = await tdb.db.query(`SELECT length(summary::text) AS bytes FROM audit_runs WHERE id = $1`, [manyRun]);
    assert.ok(bytes < 100_000, `stored summary ${bytes} bytes`);
    // Idempotent: summarizing again rewrites the same rows, and drops a row of a check the registry no longer has.
    await tdb.db.query(
      `INSERT INTO site_issues (run_id, ordinal, code, severity, count, pages, n_pages) VALUES ($1, $2, 'retired_check', 'notice', 1, '["x"]', 1)`,
      [manyRun, SITE_CHECKS.length * ORDINAL_STRIDE + 5],
    );
    await summarize({ runId: manyRun, executionId: EXEC, startedAt: Date.now() });
    const [{ retired }] = await tdb.db.query(`SELECT count(*)::int AS retired FROM site_issues WHERE run_id = $1 AND code = 'retired_check'`, [manyRun]);
    assert.equal(retired, 0);
    // The broken targets were inserted by PostgreSQL in one statement: one row each, in URL order, in one range of
    // consecutive ordinals.
    const broken: Array<{ ordinal: number; url: string }> = await tdb.db.query(
      `SELECT ordinal, pages->>0 AS url FROM site_issues WHERE run_id = $1 AND code = 'broken_internal_link' ORDER BY ordinal`, [manyRun]);
    assert.equal(broken.length, 11_999);
    assert.equal(new Set(broken.map((b) => b.url)).size, 11_999);
    const byUrl: Array<{ url: string }> = await tdb.db.query(
      `SELECT pages->>0 AS url FROM site_issues WHERE run_id = $1 AND code = 'broken_internal_link' ORDER BY pages->>0`, [manyRun]);
    assert.deepEqual(broken.map((b) => b.url), byUrl.map((b) => b.url));
    assert.ok(broken.every((b, i) => b.ordinal === broken[0].ordinal + i));
    const full = await readSiteIssues(tdb.db, manyRun);
    assert.equal(full.length, summary.siteIssuesTotal);
    assert.equal(full.find((s) => s.code === 'sitemap_non_200')!.pages.length, 11_999);

    const config = testConfig();
    client = await connectTestClient(config);
    api = await startTestApi(config, tdb.db, client);
    const get = async (path: string) => {
      const res = await fetch(`${api!.url}${path}`);
      return { status: res.status, text: await res.text() };
    };
    const run = await get(`/api/runs/${manyRun}`);
    assert.equal(run.status, 200);
    assert.ok(run.text.length < 120_000, `GET /api/runs/:id is ${run.text.length} bytes`);

    // Every broken link target, once, with its source, page by page.
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await get(`/api/runs/${manyRun}/report?code=broken_internal_link&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, r.text);
      const body = JSON.parse(r.text);
      assert.equal(body.count, 11_999);
      for (const item of body.items) {
        assert.deepEqual(item.sources.map((s: { from: string }) => s.from), ['http://many.test/']);
        seen.add(item.url);
      }
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    assert.equal(seen.size, 11_999);
    // A group of 11,999 pages: each item names its group (capped) and the group's size.
    const group = JSON.parse((await get(`/api/runs/${manyRun}/report?code=sitemap_non_200&limit=3&cursor=11997`)).text);
    assert.equal(group.count, 11_999);
    assert.equal(group.items.length, 2);
    assert.equal(group.items[0].groupSize, 11_999);
    assert.equal(group.items[0].group.length, 100);
    assert.equal(group.nextCursor, null);

    const csv = await get(`/api/runs/${manyRun}/export?type=issues&format=csv`);
    assert.equal(csv.status, 200);
    const rows = csv.text.trim().split('\r\n');
    const [{ expected }] = await tdb.db.query(`SELECT sum(n_pages)::int AS expected FROM site_issues WHERE run_id = $1`, [manyRun]);
    assert.equal(rows.length - 1, expected, 'one row per (site finding, page)');
    assert.equal(rows.filter((r) => r.includes(',broken_internal_link,')).length, 11_999);

    const report = JSON.parse((await get(`/api/runs/${manyRun}/report`)).text);
    assert.equal(report.issues.find((i: { code: string }) => i.code === 'broken_internal_link').count, 11_999);
    assert.equal(report.pagesWithCritical, 11_999, 'the site findings reach the page scores');
  });
});
