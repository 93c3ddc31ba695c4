// Targets outside the crawl (issue 14 item 2), end to end: a page at maxDepth whose canonical and hreflang alternates
// no page links to. They are fetched once (their own links are not followed), so the canonical and hreflang target
// findings are complete, and the hreflang finding names its kind (redirect, error, noindex, non-canonical).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunSummary } from '../../src/workflows/contracts';
import { words } from '../fixtures/site';
import { serveOnLoopback, type LoopbackServer } from '../helpers/loopbackServer';
import { apiCaller, createTestDatabase, runToCompletion, startServices, testConfig, type TestDb, type TestServices } from '../helpers/stack';

const page = (o: { title: string; links?: string[]; canonical?: string; noindex?: boolean; hreflang?: Array<[string, string]> }) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${o.title} of the targets fixture site</title>
<meta name="description" content="The ${o.title} page of the fixture site for canonical and hreflang targets outside the crawl.">
${o.canonical ? `<link rel="canonical" href="${o.canonical}">` : ''}${o.noindex ? '<meta name="robots" content="noindex">' : ''}
${(o.hreflang ?? []).map(([l, h]) => `<link rel="alternate" hreflang="${l}" href="${h}">`).join('')}</head>
<body><main><h1>${o.title}</h1><p>${words(220, o.title)}</p>${(o.links ?? []).map((l) => `<a href="${l}">Go to ${l}</a>`).join(' ')}</main></body></html>`;

describe('canonical and hreflang targets outside the crawl', () => {
  let server: LoopbackServer;
  let origin = '';
  let tdb: TestDb;
  let services: TestServices;
  const call = apiCaller(() => services.api.url);

  before(async () => {
    server = await serveOnLoopback((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const o = origin;
      const html = (body: string, status = 200) => {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
        res.end(body);
      };
      const redirect = (to: string) => {
        res.writeHead(301, { location: to });
        res.end();
      };
      switch (path) {
        case '/': return html(page({ title: 'Home', links: ['/a'], canonical: `${o}/` }));
        // depth 1 = maxDepth: its link to /b is not followed; its canonical and alternates are fetched anyway.
        case '/a': return html(page({
          title: 'Page A', links: ['/b'], canonical: `${o}/old-a`,
          hreflang: [['en', `${o}/a`], ['fr', `${o}/fr`], ['de', `${o}/de`], ['es', `${o}/es`], ['it', `${o}/it`], ['x-default', `${o}/a`]],
        }));
        case '/old-a': return redirect('/a');
        case '/fr': return html(page({ title: 'French', noindex: true, links: ['/fr-child'] }));
        case '/es': return redirect('/es/');
        case '/es/': return html(page({ title: 'Spanish', canonical: `${o}/es/` }));
        case '/it': return html(page({ title: 'Italian', canonical: `${o}/it-canonical` }));
        case '/it-canonical': return html(page({ title: 'Italian canonical', canonical: `${o}/it-canonical` }));
        case '/b': case '/fr-child': return html(page({ title: 'Too deep' }));
        default: return html('<!doctype html><title>Not found</title>', 404);
      }
    });
    origin = server.origin;
    tdb = await createTestDatabase('targets');
    services = await startServices(testConfig(), tdb.db);
  });
  after(async () => {
    await services?.stop();
    await tdb?.close();
    await server?.close();
  });

  test('targets are fetched once, not crawled further, and judged', async () => {
    const { runId, view: done } = await runToCompletion(call, { url: `${origin}/`, options: { maxDepth: 1, useSitemaps: false, requestTimeoutMs: 5000, fetchRetries: 0 } });
    const rows: Array<{ url: string; status_code: number }> = await tdb.db.query(`SELECT url, status_code FROM page_audits WHERE run_id = $1 ORDER BY url`, [runId]);
    const rel = (u: string) => u.slice(origin.length);
    assert.deepEqual(rows.map((r) => [rel(r.url), r.status_code]), [
      ['/', 200], ['/a', 200], ['/de', 404], ['/es', 301], ['/es/', 200], ['/fr', 200], ['/it', 200], ['/it-canonical', 200], ['/old-a', 301],
    ], 'targets fetched once; /b and /fr-child (links beyond maxDepth) not crawled');
    const summary = done.summary as RunSummary;
    const site = (code: string) => summary.siteIssues.filter((s) => s.code === code).map((s) => ({ pages: s.pages.map(rel), sources: (s.sources ?? []).map((x) => [rel(x.from), rel(x.to), x.text]) }));
    assert.deepEqual(site('canonical_to_redirect'), [{ pages: ['/a'], sources: [['/a', '/old-a', '']] }]);
    assert.deepEqual(site('hreflang_to_noindex'), [{ pages: ['/a'], sources: [['/a', '/fr', 'fr']] }]);
    assert.deepEqual(site('hreflang_to_error'), [{ pages: ['/a'], sources: [['/a', '/de', 'de']] }]);
    assert.deepEqual(site('hreflang_to_redirect'), [{ pages: ['/a'], sources: [['/a', '/es', 'es']] }]);
    assert.deepEqual(site('hreflang_to_non_canonical'), [{ pages: ['/a'], sources: [['/a', '/it', 'it']] }]);
  });
});
