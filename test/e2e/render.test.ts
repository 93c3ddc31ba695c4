// JavaScript rendering end to end (API → Temporal → worker → PostgreSQL) on a site whose home page is written by a
// script: without rendering the home page has no title and no links, so nothing else is crawled; with render:
// "chromium" the checks see the rendered DOM, the links the script wrote are crawled, and the page carries what only
// rendering showed (data.render diff, js_rendered_content_differs). Refused browser requests never reach a server.
// Also: render is validated by the API (enum, and a 400 naming CHROMIUM_PATH when Chromium is missing).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JS_DESCRIPTION, JS_TITLE, startJsSite, type JsSite } from '../fixtures/jsSite';
import { apiCaller, createTestDatabase, runToCompletion, startServices, startTestApi, testConfig, type TestDb, type TestServices } from '../helpers/stack';

/** Exact findings. The raw home page: nothing but a script, so no title, description, headings, text or links. */
const RAW_HOME_CODES = [
  'canonical_missing', 'description_missing', 'h1_missing', 'h2_missing', 'http_page', 'missing_csp', 'missing_nosniff', 'no_outlinks',
  'og_description_missing', 'og_image_missing', 'og_title_missing', 'thin_content', 'title_missing',
];
/** Rendered: the script wrote them; what remains is what the fixture does not fix (and the rendering difference). */
const RENDERED_HOME_CODES = [
  'canonical_missing', 'h2_missing', 'http_page', 'js_rendered_content_differs', 'missing_csp', 'missing_nosniff',
  'og_description_missing', 'og_image_missing', 'og_title_missing',
];
/** The static pages the script links to: the same findings whether rendered or not. */
const STATIC_PAGE_CODES = [
  'canonical_missing', 'h2_missing', 'http_page', 'missing_csp', 'missing_nosniff', 'no_outlinks',
  'og_description_missing', 'og_image_missing', 'og_title_missing', 'title_same_as_h1',
];

interface PageRow {
  url: string;
  status: string;
  title: string | null;
  description: string | null;
  word_count: number;
  issues: Array<{ code: string; detail?: string }>;
  data: { render?: any };
}

describe('JavaScript rendering end to end', () => {
  let site: JsSite;
  let tdb: TestDb;
  let services: TestServices;
  const call = apiCaller(() => services.api.url);

  const run = async (key: string, render?: 'none' | 'chromium') => {
    const { runId } = await runToCompletion(call, {
      url: `${site.origin}/`, idempotencyKey: key,
      options: { maxPages: 20, useSitemaps: false, requestTimeoutMs: 5000, fetchRetries: 0, auditBatchSize: 5, parallelBatches: 2, ...(render ? { render } : {}) },
    });
    const rows: PageRow[] = await tdb.db.query(`SELECT url, status, title, description, word_count, issues, data FROM page_audits WHERE run_id = $1 ORDER BY url`, [runId]);
    return { runId, pages: new Map(rows.map((p) => [p.url.slice(site.origin.length), p])) };
  };
  const codes = (p: PageRow | undefined) => (p?.issues ?? []).map((i) => i.code).sort();

  before(async () => {
    site = await startJsSite();
    tdb = await createTestDatabase('render');
    services = await startServices(testConfig({ RENDER_CONCURRENCY: '2' }), tdb.db);
  });
  after(async () => {
    await services?.stop();
    await tdb?.close();
    await site?.close();
  });

  test('without rendering: the raw HTML has no title and no links, so only the home page is audited', async () => {
    const { pages } = await run('raw');
    assert.deepEqual([...pages.keys()], ['/']);
    const home = pages.get('/')!;
    assert.equal(home.title, null);
    assert.deepEqual(codes(home), RAW_HOME_CODES);
    assert.equal(home.data.render, undefined);
    assert.equal(site.requests.filter((r) => r.path === '/app.js').length, 0, 'no browser, no script fetched');
  });

  test('with render: "chromium": title and links from the script, JS-written links crawled, the difference reported', async () => {
    const { runId, pages } = await run('rendered', 'chromium');
    assert.deepEqual([...pages.keys()], ['/', '/js/a', '/js/b']);
    const home = pages.get('/')!;
    assert.equal(home.title, JS_TITLE);
    assert.equal(home.description, JS_DESCRIPTION);
    assert.ok(home.word_count >= 180, `word count ${home.word_count}`);
    assert.deepEqual(codes(home), RENDERED_HOME_CODES);
    const finding = home.issues.find((i) => i.code === 'js_rendered_content_differs');
    assert.equal(finding?.detail, `title added, description added, h1 added, links +2/-0, words 0 → ${home.word_count}`);
    const render = home.data.render;
    assert.deepEqual(render.diff.title, { raw: null, rendered: JS_TITLE });
    assert.deepEqual(render.diff.links, { raw: 0, rendered: 2, added: 2, removed: 0, addedUrls: [`${site.origin}/js/a`, `${site.origin}/js/b`] });
    assert.deepEqual(render.diff.wordCount, { raw: 0, rendered: home.word_count });
    assert.deepEqual(render.requests, { loaded: 2, blocked: 2, failed: 0, skipped: render.requests.skipped });
    assert.deepEqual(render.blocked.map((b: { url: string; reason: string }) => [b.url, b.reason]).sort(), [
      ['http://169.254.169.254/latest/meta-data/', 'third_party'],
      [`${site.thirdPartyOrigin}/third-party.js`, 'third_party'],
    ]);
    // Static pages render to what their HTML already says: no finding, an empty diff.
    for (const path of ['/js/a', '/js/b']) {
      assert.deepEqual(codes(pages.get(path)), STATIC_PAGE_CODES, path);
      assert.deepEqual(pages.get(path)!.data.render.diff, {}, path);
    }
    // Refused requests never left the browser; the page itself was fetched once per run (the browser reused it).
    assert.equal(site.requests.filter((r) => r.path === '/third-party.js').length, 0);
    assert.equal(site.requests.filter((r) => r.path === '/').length, 2, 'once per run');
    // The pages API shows the rendering diff (the JavaScript tab), and the report counts the finding.
    const listed = await call('GET', `/api/runs/${runId}/pages?code=js_rendered_content_differs`);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.map((p: { url: string }) => p.url), [`${site.origin}/`]);
    assert.deepEqual(listed.body.items[0].render.diff.title, { raw: null, rendered: JS_TITLE });
    const report = await call('GET', `/api/runs/${runId}`);
    assert.equal(report.body.summary.issuesByCode.js_rendered_content_differs, 1);
  });

  test('the API validates render: an unknown mode, and chromium without a Chromium executable, are 400s', async () => {
    const bad = await call('POST', '/api/runs', { url: `${site.origin}/`, options: { render: 'firefox' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /options\.render/);
    const api = await startTestApi(testConfig({ CHROMIUM_PATH: '/nonexistent/chromium' }), tdb.db, services.client);
    try {
      const r = await fetch(`${api.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `${site.origin}/`, options: { render: 'chromium' } }) });
      const body = (await r.json()) as any;
      assert.equal(r.status, 400);
      assert.equal(body.error.code, 'render_unavailable');
      assert.match(body.error.message, /no Chromium executable was found at \/nonexistent\/chromium.*CHROMIUM_PATH/);
      assert.doesNotMatch(JSON.stringify(body), /at .*\.ts:\d+/, 'no stack trace');
    } finally {
      await api.close();
    }
  });

  test('the CLI: --render is validated, and a missing Chromium is one clear line (exit 2), before any stack starts', () => {
    const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'cli.ts'), 'audit', `${site.origin}/`, ...args], {
      env: { ...process.env, SITESWEEP_HOME: '/nonexistent/sitesweep-home', ...env }, encoding: 'utf8', timeout: 60_000,
    });
    const missing = cli(['--render', 'chromium'], { CHROMIUM_PATH: '/nonexistent/chromium' });
    assert.equal(missing.status, 2, missing.stderr);
    assert.equal(missing.stderr.trim(), 'sitesweep: options.render: chromium rendering was requested but no Chromium executable was found at /nonexistent/chromium (install chromium or set CHROMIUM_PATH)');
    const bad = cli(['--render', 'firefox']);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /^sitesweep: --render: must be "none" or "chromium"/);
  });
});
