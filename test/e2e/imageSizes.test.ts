// Images over a size limit (issue 14 item 3), end to end on the real stack: with checkImageSizes each distinct same-site
// image URL (<img src>, srcset candidates, <picture> sources, CSS backgrounds in <style> blocks and style attributes)
// is sized once per run (one HEAD; one ranged GET only when HEAD gives no length), other hosts and data: URIs
// are never requested, and image_too_large lists the pages showing each image over imageMaxBytes (boundary: equal is
// fine). Without the option no image is requested at all.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readSiteIssues } from '../../src/db/repositories/siteIssues';
import type { RunSummary } from '../../src/workflows/contracts';
import { words } from '../fixtures/site';
import { serveOnLoopback, type LoopbackServer } from '../helpers/loopbackServer';
import { apiCaller, createTestDatabase, runToCompletion, startServices, testConfig, type TestDb, type TestServices } from '../helpers/stack';

const LIMIT = 100_000;
/** Image path → its size and how the server tells it. */
const IMAGES: Record<string, { bytes: number; headLength: boolean }> = {
  '/img/over-head.png': { bytes: LIMIT + 1, headLength: true }, // HEAD gives Content-Length, one byte over
  '/img/over-range.png': { bytes: 150_000, headLength: false }, // HEAD without length: ranged GET → Content-Range
  '/img/at-limit.png': { bytes: LIMIT, headLength: true }, // exactly the limit: not too large
  // Shown by /c through srcset, <picture><source srcset>, a style attribute and a <style> block (each side of the limit).
  '/img/srcset-over.png': { bytes: LIMIT + 1, headLength: true },
  '/img/srcset-at.png': { bytes: LIMIT, headLength: true },
  '/img/source-over.webp': { bytes: LIMIT + 1, headLength: true },
  '/img/style-over.png': { bytes: LIMIT + 1, headLength: false },
  '/img/css-over.png': { bytes: LIMIT + 1, headLength: true },
  '/img/css-at.png': { bytes: LIMIT, headLength: true },
};

const page = (title: string, o: { links?: string[]; images?: string[]; head?: string; body?: string }) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} of the image sizes fixture site</title>${o.head ?? ''}
<meta name="description" content="The ${title} page of the fixture site that serves images of known sizes to the crawler."></head>
<body><main><h1>${title}</h1><p>${words(220, title)}</p>${o.body ?? ''}
${(o.images ?? []).map((src, i) => `<img src="${src}" alt="Picture ${i}" width="10" height="10">`).join('\n')}
${(o.links ?? []).map((l) => `<a href="${l}">Go to ${l}</a>`).join(' ')}</main></body></html>`;

describe('image sizes', () => {
  let server: LoopbackServer;
  let origin = '';
  let port = 0;
  let tdb: TestDb;
  let services: TestServices;
  const call = apiCaller(() => services.api.url);
  /** Every image request the fixture received: method, host, path, Range header. */
  let requests: Array<{ method: string; host: string; path: string; range: string | null }> = [];

  before(async () => {
    server = await serveOnLoopback((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path.startsWith('/img/')) {
        requests.push({ method: req.method ?? '', host: req.headers.host ?? '', path, range: req.headers.range ?? null });
        const img = IMAGES[path];
        if (!img) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          return res.end('no such image');
        }
        if (req.method === 'HEAD') {
          // Without Content-Length Node sends none on a HEAD answer (no body, no chunked encoding either).
          res.writeHead(200, { 'content-type': 'image/png', ...(img.headLength ? { 'content-length': String(img.bytes) } : {}) });
          return res.end();
        }
        const range = /^bytes=0-0$/.exec(req.headers.range ?? '');
        if (range) {
          res.writeHead(206, { 'content-type': 'image/png', 'content-range': `bytes 0-0/${img.bytes}`, 'content-length': '1' });
          return res.end(Buffer.alloc(1));
        }
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(img.bytes) });
        return res.end(Buffer.alloc(img.bytes));
      }
      const html = (body: string, status = 200) => {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
        res.end(body);
      };
      switch (path) {
        case '/': return html(page('Home', {
          links: ['/a', '/b', '/c'],
          images: ['/img/over-head.png', '/img/over-range.png', '/img/at-limit.png', '/img/missing.png', '/img/over-head.png',
            `http://localhost:${port}/img/over-head.png`, 'data:image/png;base64,iVBORw0KGgo='],
        }));
        case '/a': return html(page('Page A', { images: ['/img/over-head.png', '/img/at-limit.png'] }));
        case '/b': return html(page('Page B', { images: ['img/over-range.png', `${origin}/img/over-head.png`] }));
        // Images beyond <img src>; a font and a data: URI in the CSS are not images to size.
        case '/c': return html(page('Page C', { head: `<style>.hero { background: #fff url(/img/css-over.png) no-repeat }
          .n { background-image: url("/img/css-at.png") } @font-face { font-family: F; src: url(/img/font.woff2) }
          .d { background: url(data:image/png;base64,iVBORw0KGgo=) }</style>`, body: `
          <img src="/img/at-limit.png" srcset="/img/srcset-over.png 2x, /img/srcset-at.png 1.5x" alt="Srcset" width="10" height="10">
          <picture><source srcset="/img/source-over.webp 1x, /img/at-limit.png 2x" type="image/webp"><img src="/img/at-limit.png" alt="Picture" width="10" height="10"></picture>
          <div style="background-image: url('/img/style-over.png')">Styled</div>` }));
        default: return html('<!doctype html><title>Not found</title>', 404);
      }
    });
    ({ port, origin } = server);
    tdb = await createTestDatabase('images');
    services = await startServices(testConfig(), tdb.db);
  });
  after(async () => {
    await services?.stop();
    await tdb?.close();
    await server?.close();
  });

  const runToEnd = async (options: Record<string, unknown>) => {
    const { runId, view } = await runToCompletion(call, { url: `${origin}/`, options: { useSitemaps: false, requestTimeoutMs: 5000, fetchRetries: 0, ...options } });
    return { runId, summary: view.summary as RunSummary };
  };
  const rel = (u: string) => (u.startsWith(origin) ? u.slice(origin.length) : u);

  test('each image sized once (HEAD, ranged GET only without a length); image_too_large lists the pages showing it', async () => {
    requests = [];
    const { runId, summary } = await runToEnd({ checkImageSizes: true, thresholds: { imageMaxBytes: LIMIT } });

    const seen = requests.map((r) => `${r.method} ${r.host === `127.0.0.1:${port}` ? '' : r.host}${r.path}${r.range ? ` ${r.range}` : ''}`).sort();
    assert.deepEqual(seen, [
      'GET /img/over-range.png bytes=0-0',
      'GET /img/style-over.png bytes=0-0',
      'HEAD /img/at-limit.png',
      'HEAD /img/css-at.png',
      'HEAD /img/css-over.png',
      'HEAD /img/missing.png',
      'HEAD /img/over-head.png',
      'HEAD /img/over-range.png',
      'HEAD /img/source-over.webp',
      'HEAD /img/srcset-at.png',
      'HEAD /img/srcset-over.png',
      'HEAD /img/style-over.png',
    ], 'one HEAD per distinct same-site image, one ranged GET for the one without a length, nothing for other hosts');

    const sizes: Array<{ url: string; status_code: number | null; bytes: string | null; method: string | null; failure_reason: string | null }> =
      await tdb.db.query(`SELECT url, status_code, bytes, method, failure_reason FROM image_sizes WHERE run_id = $1 ORDER BY url`, [runId]);
    assert.deepEqual(sizes.map((s) => [rel(s.url), s.status_code, s.bytes === null ? null : Number(s.bytes), s.method, s.failure_reason]), [
      ['/img/at-limit.png', 200, LIMIT, 'head', null],
      ['/img/css-at.png', 200, LIMIT, 'head', null],
      ['/img/css-over.png', 200, LIMIT + 1, 'head', null],
      ['/img/missing.png', 404, null, 'head', 'http_404'],
      ['/img/over-head.png', 200, LIMIT + 1, 'head', null],
      ['/img/over-range.png', 206, 150_000, 'range', null],
      ['/img/source-over.webp', 200, LIMIT + 1, 'head', null],
      ['/img/srcset-at.png', 200, LIMIT, 'head', null],
      ['/img/srcset-over.png', 200, LIMIT + 1, 'head', null],
      ['/img/style-over.png', 206, LIMIT + 1, 'range', null],
    ]);

    const found = (await readSiteIssues(tdb.db, runId, 'image_too_large')).map((s) => ({
      pages: s.pages.map(rel), count: s.count, detail: s.detail, to: [...new Set((s.sources ?? []).map((x) => rel(x.to)))],
    }));
    const onC = (img: string) => ({ pages: ['/c'], count: 1, detail: `${origin}${img}: ${LIMIT + 1} bytes (limit ${LIMIT})`, to: [img] });
    assert.deepEqual(found, [
      onC('/img/css-over.png'),
      { pages: ['/', '/a', '/b'], count: 3, detail: `${origin}/img/over-head.png: ${LIMIT + 1} bytes (limit ${LIMIT})`, to: ['/img/over-head.png'] },
      { pages: ['/', '/b'], count: 2, detail: `${origin}/img/over-range.png: 150000 bytes (limit ${LIMIT})`, to: ['/img/over-range.png'] },
      onC('/img/source-over.webp'),
      onC('/img/srcset-over.png'),
      onC('/img/style-over.png'),
    ]);
    assert.equal(summary.issuesByCode.image_too_large, 9, 'pages affected, summed over the six images');
  });

  test('without checkImageSizes no image is requested and nothing is reported', async () => {
    requests = [];
    const { runId, summary } = await runToEnd({});
    assert.deepEqual(requests, []);
    assert.deepEqual(await readSiteIssues(tdb.db, runId, 'image_too_large'), []);
    assert.equal(summary.issuesByCode.image_too_large, undefined);
  });
});
