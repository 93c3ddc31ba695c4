// SEO depth end to end on the real stack (API → Temporal → worker → PostgreSQL) against the SEO fixture: the exact
// per-page and site-level findings, steering options (exclude, stripParams, nofollow, named sitemaps, credentials,
// external checks), the report, the streamed exports, and the comparison of two runs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { computeSiteIssues } from '../../src/db/siteChecks';
import { nearDuplicateClusters } from '../../src/audit/nearDuplicates';
import { readSiteIssues } from '../../src/db/repositories/siteIssues';
import type { RunSummary, SiteIssue } from '../../src/workflows/contracts';
import { CREDENTIALS, SEO_PAGE_TRUTH, SEO_SITE_TRUTH, startSeoFixture, type SeoFixture } from '../fixtures/seoSite';
import { startServices, type TestServices, createTestDatabase, startTestApi, testConfig, waitFor, type TestDb } from '../helpers/stack';

const SECRET_VALUES = [CREDENTIALS.auth.password, CREDENTIALS.cookies.session, CREDENTIALS.headers['X-Fixture-Token']];

/** RFC 4180 parser (quoted fields, doubled quotes, CRLF), to prove the export is valid CSV. */
function parseCsv(s: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && s[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

describe('SEO depth end to end', () => {
  let site: SeoFixture;
  let tdb: TestDb;
  let client: Client;
  let api: { url: string; close(): Promise<void> };
  let services: TestServices | undefined;
  let run1: { runId: string; workflowId: string };
  let summary1: RunSummary;

  const options = () => ({
    requestTimeoutMs: 3000, fetchRetries: 1, fetchRetryBaseMs: 50, auditBatchSize: 10, parallelBatches: 2, maxPages: 200,
    exclude: ['/excluded'], stripParams: ['sessionid'], checkExternalLinks: true, sitemaps: [`${site.origin}/extra-sitemap.xml`],
    auth: CREDENTIALS.auth, cookies: CREDENTIALS.cookies, headers: CREDENTIALS.headers,
  });
  const call = async (method: string, path: string, body?: unknown, base = api.url) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const json = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    return { status: r.status, body: JSON.parse(r.text) as any };
  };
  const startAndWait = async (key: string) => {
    const started = await json('POST', '/api/runs', { url: site.origin, idempotencyKey: key, options: options() });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const done = await waitFor(async () => {
      const r = await json('GET', `/api/runs/${started.body.runId}`);
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : null;
    }, 120_000, 300);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    return { runId: started.body.runId as string, workflowId: started.body.workflowId as string, summary: done.summary as RunSummary };
  };
  /** Fixture URL → path; the external server's URLs keep a `{ext}` prefix; robots.txt stays a path. */
  const rel = (url: string) => (url.startsWith(site.origin) ? url.slice(site.origin.length) : url.replace(site.externalOrigin, '{ext}'));

  before(async () => {
    site = await startSeoFixture();
    tdb = await createTestDatabase('seo');
    const config = testConfig({ SECRETS_KEY: 'seo-depth-test-secrets-key-0123456789' });
    services = await startServices(config, tdb.db);
    ({ client, api } = services);
  });

  after(async () => {
    await services?.stop();
    await tdb?.close();
    await site?.close();
  });

  test('a run finds exactly the fixture findings on every page', async () => {
    const r = await startAndWait('seo-1');
    run1 = r;
    summary1 = r.summary;
    const pages: Array<{ url: string; status: string; status_code: number | null; failure_reason: string | null; issues: Array<{ code: string }> }> =
      await tdb.db.query(`SELECT url, status, status_code, failure_reason, issues FROM page_audits WHERE run_id = $1`, [run1.runId]);
    const byPath = new Map(pages.map((p) => [rel(p.url), p]));
    assert.deepEqual([...byPath.keys()].sort(), Object.keys(SEO_PAGE_TRUTH).sort(), 'audited exactly the fixture pages');
    for (const [path, want] of Object.entries(SEO_PAGE_TRUTH)) {
      const p = byPath.get(path)!;
      if (want.failureReason) {
        assert.equal(p.failure_reason, want.failureReason, path);
        assert.deepEqual(p.issues.map((i) => i.code).sort(), [...(want.codes ?? [])].sort(), path);
        continue;
      }
      assert.equal(p.status, 'ok', `${path}: ${p.failure_reason}`);
      assert.deepEqual(p.issues.map((i) => i.code).sort(), [...want.codes!].sort(), path);
      if (want.statusCode) assert.equal(p.status_code, want.statusCode, path);
    }
  });

  test('site-level findings: exactly the ground truth, with their source pages and anchor texts', async () => {
    const actual: Record<string, Array<{ pages: string[]; sources?: Array<[string, string]> }>> = {};
    for (const s of summary1.siteIssues) {
      (actual[s.code] ??= []).push({
        pages: s.pages.map(rel).sort(),
        ...(s.sources ? { sources: s.sources.map((x) => [rel(x.from), x.text] as [string, string]) } : {}),
      });
    }
    for (const list of Object.values(actual)) list.sort((a, b) => a.pages.join().localeCompare(b.pages.join()));
    assert.deepEqual(actual, SEO_SITE_TRUTH);
    // Counts in issuesByCode include the site findings.
    for (const [code, groups] of Object.entries(SEO_SITE_TRUTH)) {
      const count = summary1.siteIssues.filter((s) => s.code === code).reduce((n, s) => n + s.count, 0);
      assert.equal(count, groups.reduce((n, g) => n + g.pages.length, 0), code);
      assert.ok(summary1.issuesByCode[code] >= count, code);
    }
    assert.match(summary1.siteIssues.find((s) => s.code === 'deep_page')!.detail!, /^4 clicks/);
    assert.match(summary1.siteIssues.find((s) => s.code === 'robots_txt_invalid')!.detail!, /Disalow/);
    assert.equal(summary1.delta, undefined, 'the first run of a site has no delta');
    // The fixture is small, so the summary's capped copy holds every finding of the site_issues table.
    const full = await readSiteIssues(tdb.db, run1.runId);
    assert.equal(summary1.siteIssuesTotal, full.length);
    const key = (s: SiteIssue) => JSON.stringify([s.code, s.detail ?? '', s.pages]);
    assert.deepEqual(summary1.siteIssues.map(key).sort(), full.map(key).sort());
  });

  test('discovery follows the options: excluded, nofollow-only and tracking-param URLs are never requested', () => {
    const paths = site.requests.map((r) => r.path);
    assert.ok(!paths.some((p) => p.startsWith('/excluded')), 'excluded by regex (a link and a sitemap entry): never fetched');
    assert.ok(!paths.includes('/nofollow-only'), 'a target linked only with rel=nofollow is not crawled by default');
    assert.ok(paths.includes('/nofollow-target'), 'a nofollow target linked normally elsewhere is crawled');
    assert.ok(!site.requests.some((r) => r.search.includes('sessionid')), 'stripParams: the session id never reached the server');
    assert.ok(paths.includes('/extra-sitemap.xml') && paths.includes('/from-extra'), 'a sitemap the user named was read');
    // Credentials on every request to the site (robots.txt and sitemaps too), never on another host.
    for (const r of site.requests) {
      assert.ok(r.authorization?.startsWith('Basic '), `auth on ${r.path}`);
      assert.ok(r.cookie?.includes(`session=${CREDENTIALS.cookies.session}`), `cookie on ${r.path}`);
      assert.equal(r.custom, CREDENTIALS.headers['X-Fixture-Token'], `header on ${r.path}`);
    }
    assert.ok(site.externalRequests.length > 0);
    for (const r of site.externalRequests) assert.deepEqual([r.authorization, r.cookie, r.custom], [null, null, null], r.path);
    // Each external URL once per run (ext-ok is also the target of ext-moved's redirect).
    const count = (p: string) => site.externalRequests.filter((r) => r.path === p).length;
    assert.equal(count('/ext-broken'), 1, 'linked from two pages, checked once');
    assert.equal(count('/ext-moved'), 1);
  });

  test('credentials are stored and passed only sealed: not in audit_runs.options, not in the workflow history', async () => {
    const [row] = await tdb.db.query(`SELECT options::text AS options FROM audit_runs WHERE id = $1`, [run1.runId]);
    for (const v of SECRET_VALUES) assert.ok(!row.options.includes(v), 'options hold no plain secret');
    assert.match(JSON.parse(row.options).sealedCredentials, /^v1\./);
    const history = await client.workflow.getHandle(run1.workflowId).fetchHistory();
    // Every byte field of the history (payload data) as text, walking the protobuf objects (their toJSON is base64).
    const parts: string[] = [];
    const walk = (v: unknown, depth: number): void => {
      if (depth > 40 || v === null || typeof v !== 'object') {
        if (typeof v === 'string') parts.push(v);
        return;
      }
      if (v instanceof Uint8Array) return void parts.push(Buffer.from(v).toString('utf8'));
      for (const x of Object.values(v as Record<string, unknown>)) walk(x, depth + 1);
    };
    walk(history, 0);
    const text = parts.join('\n');
    assert.ok(text.includes('sealedCredentials'), 'payloads were decoded (the check is not vacuous)');
    for (const v of SECRET_VALUES) assert.ok(!text.includes(v), 'history holds no plain secret');
    const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM external_links WHERE run_id = $1`, [run1.runId]);
    assert.equal(n, 3, 'one cache row per distinct external URL');
  });

  test('credentials without SECRETS_KEY are refused with 400 and nothing is written', async () => {
    const bare = await startTestApi(testConfig({ SECRETS_KEY: '' }), tdb.db, client);
    try {
      const [{ n: before }] = await tdb.db.query(`SELECT count(*)::int AS n FROM audit_runs`);
      const r = await call('POST', '/api/runs', { url: site.origin, options: { auth: CREDENTIALS.auth } }, bare.url);
      assert.equal(r.status, 400);
      assert.match(JSON.parse(r.text).error.message, /SECRETS_KEY/);
      const bad = await call('POST', '/api/runs', { url: site.origin, options: { headers: { 'X-A': 'a\r\nInjected: 1' } } }, bare.url);
      assert.equal(bad.status, 400);
      assert.match(JSON.parse(bad.text).error.message, /options\.headers/);
      const [{ n: afterCount }] = await tdb.db.query(`SELECT count(*)::int AS n FROM audit_runs`);
      assert.equal(afterCount, before);
    } finally {
      await bare.close();
    }
  });

  test('the report groups findings by category and severity, scores the site, and paginates affected pages', async () => {
    const r = await json('GET', `/api/runs/${run1.runId}/report`);
    assert.equal(r.status, 200);
    const rep = r.body;
    const [{ pages }] = await tdb.db.query(`SELECT count(*)::int AS pages FROM page_audits WHERE run_id = $1`, [run1.runId]);
    assert.equal(rep.pages, pages);
    // Critical: /gone (status_4xx, broken link target) and /canon-error (canonical_to_error); nothing else.
    assert.equal(rep.pagesWithCritical, 2);
    assert.equal(rep.healthScore, Math.round(((pages - 2) / pages) * 1000) / 10);
    const links = rep.categories.find((c: any) => c.category === 'links');
    assert.ok(links.checks.some((c: any) => c.code === 'broken_internal_link' && c.count === 1 && c.why && c.fix));
    assert.equal(links.counts.critical, 1);
    const total = (sev: string) => Object.entries(summary1.issuesByCode).filter(([code]) => rep.issues.find((i: any) => i.code === code)?.severity === sev).reduce((n, [, c]) => n + c, 0);
    assert.deepEqual(rep.bySeverity, { critical: total('critical'), warning: total('warning'), notice: total('notice') });

    // Page-scope code, paginated by cursor: every page with http_page, once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await json('GET', `/api/runs/${run1.runId}/report?code=http_page&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      seen.push(...page.body.items.map((i: any) => i.url));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length);
    assert.equal(seen.length, summary1.issuesByCode.http_page);
    // Site-scope code: the affected page with its link sources.
    const broken = await json('GET', `/api/runs/${run1.runId}/report?code=broken_internal_link`);
    assert.equal(broken.body.check.why.length > 0, true);
    assert.deepEqual(broken.body.items.map((i: any) => [rel(i.url), i.sources.map((s: any) => rel(s.from))]), [['/gone', ['/links-hub']]]);
    const unknown = await json('GET', `/api/runs/${run1.runId}/report?code=no_such_check`);
    assert.equal(unknown.status, 404);
  });

  test('exports stream valid CSV and JSON whose row counts match the database', async () => {
    const [{ pages }] = await tdb.db.query(`SELECT count(*)::int AS pages FROM page_audits WHERE run_id = $1`, [run1.runId]);
    const [{ links }] = await tdb.db.query(`SELECT count(*)::int AS links FROM page_links WHERE run_id = $1`, [run1.runId]);
    const [{ findings }] = await tdb.db.query(`SELECT coalesce(sum(jsonb_array_length(issues)), 0)::int AS findings FROM page_audits WHERE run_id = $1`, [run1.runId]);
    const siteRows = (await readSiteIssues(tdb.db, run1.runId)).reduce((n: number, s: SiteIssue) => n + s.pages.length, 0);
    assert.ok(siteRows >= summary1.siteIssues.reduce((n: number, s: SiteIssue) => n + s.pages.length, 0));
    const expected: Record<string, number> = { pages, links, issues: findings + siteRows };
    for (const type of ['pages', 'issues', 'links']) {
      const csv = await call('GET', `/api/runs/${run1.runId}/export?type=${type}&format=csv`);
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get('content-type')!, /^text\/csv/);
      assert.match(csv.headers.get('content-disposition')!, new RegExp(`attachment; filename="sitesweep-${run1.runId}-${type}\\.csv"`));
      const rows = parseCsv(csv.text);
      const width = rows[0].length;
      assert.ok(rows.every((r) => r.length === width), `${type}: every row has ${width} fields`);
      assert.equal(rows.length - 1, expected[type], `${type} CSV rows`);
      const body = await call('GET', `/api/runs/${run1.runId}/export?type=${type}&format=json`);
      assert.equal(JSON.parse(body.text).length, expected[type], `${type} JSON rows`);
    }
    // Escaping: the title with a comma and quotes survives the round trip.
    const rows = parseCsv((await call('GET', `/api/runs/${run1.runId}/export?type=pages`)).text);
    const col = rows[0].indexOf('title');
    assert.ok(rows.some((r) => r[col] === 'Commas, "quotes" and twins in one title'));
    const scoreCol = rows[0].indexOf('score');
    const gone = rows.find((r) => r[0].endsWith('/gone'))!;
    assert.ok(Number(gone[scoreCol]) <= 70, 'a page with a critical finding scores at most 70');
    const bad = await json('GET', `/api/runs/${run1.runId}/export?type=everything`);
    assert.equal(bad.status, 400);
  });

  test('compare: a second run after a change gives the expected new and fixed findings, and a delta', async () => {
    site.setVersion(2);
    const run2 = await startAndWait('seo-2');
    const cmp = await json('GET', `/api/runs/${run2.runId}/compare?with=previous`);
    assert.equal(cmp.status, 200, JSON.stringify(cmp.body));
    assert.equal(cmp.body.note, null, 'two completed runs: no partial note');
    assert.equal(cmp.body.withRunId, run1.runId);
    const pairs = (l: Array<{ code: string; url: string }>) => l.map((f) => [f.code, rel(f.url)]);
    assert.deepEqual(pairs(cmp.body.newFindings), [['description_missing', '/about'], ['http_page', '/new-page'], ['not_in_sitemap', '/new-page']]);
    assert.deepEqual(pairs(cmp.body.fixedFindings), [
      ['duplicate_title', '/dup-title-a'], ['duplicate_title', '/dup-title-b'], ['http_page', '/unlisted'], ['not_in_sitemap', '/unlisted'],
    ]);
    assert.deepEqual(cmp.body.pagesAdded.map(rel), ['/new-page']);
    assert.deepEqual(cmp.body.pagesRemoved.map(rel), ['/unlisted']);
    assert.ok(cmp.body.counts.persisting > 40);
    const explicit = await json('GET', `/api/runs/${run2.runId}/compare?with=${run1.runId}`);
    assert.deepEqual(explicit.body.counts, cmp.body.counts);
    assert.deepEqual(run2.summary.delta, { previousRunId: run1.runId, newFindings: 3, fixedFindings: 4, persistingFindings: cmp.body.counts.persisting, pagesAdded: 1, pagesRemoved: 1 });
    const none = await json('GET', `/api/runs/${run1.runId}/compare?with=previous`);
    assert.equal(none.status, 404);
  });

  test('robots.txt unreachable (5xx or no answer) is a site finding; banding finds every near-duplicate pair', async () => {
    for (const status of [503, null]) {
      const [row] = await tdb.db.query(
        `INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, robots_status) VALUES ($1, $1, 'http://unreachable.test/', 'unreachable.test', $2) RETURNING id`,
        [`robots-${status}`, status],
      );
      const issues = await computeSiteIssues(tdb.db, row.id);
      assert.deepEqual(issues.map((i) => [i.code, i.pages, i.detail]), [['robots_txt_unreachable', ['http://unreachable.test/robots.txt'], status ? 'HTTP 503' : 'no response']]);
    }
    // 6 differing bits (≥ 90.6%) are found wherever they sit; 7 (89.1%) are not; identical texts are duplicate_content.
    const base = 0x0123456789abcdefn;
    const hex = (v: bigint) => v.toString(16).padStart(16, '0');
    for (let trial = 0; trial < 50; trial++) {
      const bits = new Set<number>();
      while (bits.size < 7) bits.add(Math.floor(Math.random() * 64));
      const flip = (n: number) => [...bits].slice(0, n).reduce((v, b) => v ^ (1n << BigInt(b)), base);
      const six = nearDuplicateClusters([{ url: 'a', simhash: hex(base), contentHash: 'x' }, { url: 'b', simhash: hex(flip(6)), contentHash: 'y' }]);
      assert.deepEqual(six.map((c) => c.urls), [['a', 'b']], `bits ${[...bits]}`);
      const seven = nearDuplicateClusters([{ url: 'a', simhash: hex(base), contentHash: 'x' }, { url: 'b', simhash: hex(flip(7)), contentHash: 'y' }]);
      assert.deepEqual(seven, []);
    }
    assert.deepEqual(nearDuplicateClusters([{ url: 'a', simhash: hex(base), contentHash: 'x' }, { url: 'b', simhash: hex(base), contentHash: 'x' }]), []);
  });
});
