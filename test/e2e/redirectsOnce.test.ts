// No URL fetched twice in a run (issue 14 item 4), end to end on the real stack with a fixture site that counts requests
// per path: two redirects to one unlinked target, two redirect chains through one intermediate redirect, two redirects
// to one 404, a target the home page links (fetched first) that a redirect found deeper points at, a redirect loop, and
// an intermediate hop that a page links too. Every path is
// requested exactly once (robots.txt aside: discovery reads it), and each redirect's record still has its full chain
// and the final status of its target.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { words } from '../fixtures/site';
import { apiCaller, createTestDatabase, startServices, testConfig, waitFor, type TestDb, type TestServices } from '../helpers/stack';

const page = (title: string, links: string[] = []) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} of the redirect fixture site</title>
<meta name="description" content="The ${title} page of the fixture site whose redirects share their targets with each other."></head>
<body><main><h1>${title}</h1><p>${words(220, title)}</p>
${links.map((l) => `<a href="${l}">Go to ${l}</a>`).join(' ')}</main></body></html>`;

const REDIRECTS: Record<string, string> = {
  '/r1': '/shared', '/r2': '/shared', // two redirects, one target nothing links
  '/c1': '/mid', '/c2': '/mid', '/mid': '/final', // two chains through one intermediate hop
  '/g1': '/gone', '/g2': '/gone', // two redirects to a 404
  '/late': '/known', // found at depth 2; /known was linked from the home page
  '/loop-a': '/loop-b', '/loop-b': '/loop-a', // a loop: each side's chain reads the other's answer
  '/hop-linked': '/final2', '/via': '/hop-linked', // an intermediate hop that a page links too
};
const PAGES: Record<string, string[]> = {
  '/': ['/known', '/r1', '/r2', '/c1', '/c2', '/g1', '/g2', '/deep', '/loop-a', '/via'],
  '/deep': ['/deeper'],
  '/deeper': ['/late', '/hop-linked'],
  '/known': [], '/shared': [], '/final': [], '/final2': [],
};

describe('no URL fetched twice', () => {
  let server: http.Server;
  let origin = '';
  let tdb: TestDb;
  let services: TestServices;
  const call = apiCaller(() => services.api.url);
  const requests = new Map<string, number>();

  before(async () => {
    server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      requests.set(path, (requests.get(path) ?? 0) + 1);
      if (REDIRECTS[path]) {
        res.writeHead(301, { location: REDIRECTS[path] });
        return res.end();
      }
      const links = PAGES[path];
      res.writeHead(links ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(links ? page(path === '/' ? 'Home' : path.slice(1), links) : '<!doctype html><title>Not found</title>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tdb = await createTestDatabase('redirects_once');
    services = await startServices(testConfig(), tdb.db);
  });
  after(async () => {
    await services?.stop();
    await tdb?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const rel = (u: string | null) => (u && u.startsWith(origin) ? u.slice(origin.length) : u);

  for (const perHostConcurrency of [1, 4]) {
    test(`every path requested once, redirects keep their chain and final status (perHostConcurrency ${perHostConcurrency})`, async () => {
      requests.clear();
      const started = await call('POST', '/api/runs', {
        url: `${origin}/`,
        options: { useSitemaps: false, requestTimeoutMs: 5000, fetchRetries: 0, perHostConcurrency, auditBatchSize: 4, parallelBatches: 2 },
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const done = await waitFor(async () => {
        const r = await call('GET', `/api/runs/${started.body.runId}`);
        return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : null;
      }, 60_000, 300);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));

      const counts = Object.fromEntries([...requests].filter(([p]) => p !== '/robots.txt').sort(([a], [b]) => a.localeCompare(b)));
      const everyPath = [...Object.keys(REDIRECTS), ...Object.keys(PAGES), '/gone'].sort();
      assert.deepEqual(counts, Object.fromEntries(everyPath.map((p) => [p, 1])), 'each path requested exactly once');

      type Row = { url: string; status_code: number; final_url: string; redirect_chain: Array<{ url: string; status: number }>; issues: Array<{ code: string }>; failure_reason: string | null; title: string | null };
      const rows: Row[] = await tdb.db.query(
        `SELECT url, status_code, final_url, redirect_chain, issues, failure_reason, title FROM page_audits WHERE run_id = $1`, [started.body.runId],
      );
      // Each target's record comes from its own body (a chain that stopped at a known hop offers none).
      const titles = Object.fromEntries(rows.filter((r) => r.status_code === 200).map((r) => [rel(r.url), r.title]));
      assert.deepEqual(titles, Object.fromEntries(Object.keys(PAGES).map((p) => [p, `${p === '/' ? 'Home' : p.slice(1)} of the redirect fixture site`])));
      const byPath = Object.fromEntries(rows.map((r) => [rel(r.url), {
        status: r.status_code,
        final: rel(r.final_url),
        chain: r.redirect_chain.map((h) => `${h.status} ${rel(h.url)}`),
        codes: r.issues.map((i) => i.code).filter((c) => /^(status_|redirect_)/.test(c)).sort(),
      }]));
      // An intermediate hop is no page of its own: every other path has one row.
      assert.equal(rows.length, everyPath.length - 1, 'one row per path');
      const redirect = (from: string, to: string, hops: string[], codes: string[]) =>
        ({ status: 301, final: to, chain: [from, ...hops].map((p) => `301 ${p}`), codes });
      assert.deepEqual(byPath['/r1'], redirect('/r1', '/shared', [], ['status_3xx']));
      assert.deepEqual(byPath['/r2'], redirect('/r2', '/shared', [], ['status_3xx']));
      // A chain that meets a known intermediate hop keeps all its hops (redirect_chain: over one hop).
      assert.deepEqual(byPath['/c1'], redirect('/c1', '/final', ['/mid'], ['redirect_chain', 'status_3xx']));
      assert.deepEqual(byPath['/c2'], redirect('/c2', '/final', ['/mid'], ['redirect_chain', 'status_3xx']));
      // The final status comes from the known answer: a redirect to a 404 is still status_4xx, whichever chain asked first.
      assert.deepEqual(byPath['/g1'], redirect('/g1', '/gone', [], ['status_3xx', 'status_4xx']));
      assert.deepEqual(byPath['/g2'], redirect('/g2', '/gone', [], ['status_3xx', 'status_4xx']));
      assert.deepEqual(byPath['/late'], redirect('/late', '/known', [], ['status_3xx']));
      assert.deepEqual(byPath['/via'], redirect('/via', '/final2', ['/hop-linked'], ['redirect_chain', 'status_3xx']));
      assert.deepEqual(byPath['/hop-linked'], redirect('/hop-linked', '/final2', [], ['status_3xx']));
      // Each side of the loop: its own hop, the other's (known) answer, and the loop back.
      assert.deepEqual(byPath['/loop-a'], redirect('/loop-a', '/loop-b', ['/loop-b'], ['redirect_chain', 'redirect_loop', 'status_3xx']));
      assert.deepEqual(byPath['/loop-b'], redirect('/loop-b', '/loop-a', ['/loop-a'], ['redirect_chain', 'redirect_loop', 'status_3xx']));
      assert.deepEqual(rows.filter((r) => r.failure_reason !== null).map((r) => [rel(r.url), r.failure_reason]).sort(),
        [['/loop-a', 'redirect_loop'], ['/loop-b', 'redirect_loop']]);
      for (const p of ['/', '/known', '/shared', '/final', '/final2', '/deep', '/deeper']) assert.deepEqual(byPath[p], { status: 200, final: p, chain: [], codes: [] }, p);
      assert.deepEqual(byPath['/gone'], { status: 404, final: '/gone', chain: [], codes: ['status_4xx'] });
      assert.equal(done.summary.pagesAudited + done.summary.pagesFailed, everyPath.length - 1);
    });
  }
});
