// The browser pool (src/crawl/render.ts) against a local JavaScript fixture, with the worker's real Fetcher: what the
// rendered DOM holds, which browser requests the target policy and the same-site rule refuse (and that refused ones
// never reach the network), the pool's bound over 30 renders with browser recycling (scripts/render-memory.ts runs
// 1,000 and measures memory), the render timeout on a page
// that never yields, a missing Chromium, and shutdown.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { sameSiteAs } from '../../src/activities/renderPage';
import { loadConfig } from '../../src/config';
import { Fetcher } from '../../src/crawl/fetcher';
import { fetcherResources, Renderer, RenderUnavailableError, type RendererOptions, type RenderInput } from '../../src/crawl/render';
import { JS_DESCRIPTION, JS_TITLE, startJsSite, type JsSite } from '../fixtures/jsSite';

const CHROMIUM = loadConfig({ ...process.env }).render.chromiumPath;
const UA = 'Sitesweep-test/1.0';

describe('Renderer (headless Chromium pool)', () => {
  let site: JsSite;
  let fetcher: Fetcher;
  const renderers: Renderer[] = [];

  const make = (over: Partial<RendererOptions> = {}, allowPrivateTargets = true) => {
    const r = new Renderer({
      chromiumPath: CHROMIUM, concurrency: 2, timeoutMs: 10_000, allowThirdParty: false, recycleAfter: 500,
      policy: { allowPrivateTargets },
      fetchResource: fetcherResources(fetcher, { maxBytes: 5_000_000, maxRedirects: 5 }),
      ...over,
    });
    renderers.push(r);
    return r;
  };
  const input = async (path: string): Promise<RenderInput> => {
    const res = await fetch(`${site.origin}${path}`);
    return { url: `${site.origin}${path}`, statusCode: res.status, contentType: res.headers.get('content-type'), html: await res.text(), isSameSite: sameSiteAs(site.origin), userAgent: UA, headers: {} };
  };
  const requested = (path: string, host?: string) => site.requests.filter((r) => r.path === path && (host === undefined || r.host === host)).length;

  before(async () => {
    site = await startJsSite({ gridPages: 200 });
    fetcher = new Fetcher({ connectionsPerHost: 8, allowPrivateTargets: true });
  });
  after(async () => {
    for (const r of renderers) await r.close();
    await fetcher.close();
    await site.close();
  });

  test('the rendered DOM has what the script wrote; third-party and link-local requests are refused and never sent', async () => {
    const r = make();
    const gated: string[] = [];
    const out = await r.render({ ...(await input('/')), gate: (url, go) => (gated.push(url), go()) });
    assert.match(out.html, new RegExp(`<title>${JS_TITLE}</title>`));
    // Every network fetch of the browser went through the crawl's politeness gate.
    assert.deepEqual(gated.map((u) => u.slice(site.origin.length)).sort(), ['/api/content.json', '/app.js']);
    assert.ok(out.html.includes(JS_DESCRIPTION));
    assert.match(out.html, /href="\/js\/a"/);
    assert.match(out.html, /href="\/js\/b"/);
    assert.equal(out.timedOut, false);
    // Same-site subresources went through the Fetcher (the document itself was not fetched again).
    assert.equal(requested('/app.js'), 1);
    assert.equal(requested('/api/content.json'), 1);
    assert.equal(requested('/', site.origin.slice(7)), 1, 'the page is fetched once, by the test, not by the browser');
    // The third-party script (same server, other host name) was refused before any request.
    assert.equal(requested('/third-party.js'), 0);
    assert.doesNotMatch(out.html, /hijacked/);
    const reasons = new Map(out.blocked.map((b) => [b.url, b.reason]));
    assert.equal(reasons.get(`${site.thirdPartyOrigin}/third-party.js`), 'third_party');
    assert.equal(reasons.get('http://169.254.169.254/latest/meta-data/'), 'third_party');
    assert.equal(out.requests.loaded, 2);
    assert.equal(out.requests.blocked, 2);
    assert.deepEqual(r.stats().openPages, 0);
  });

  test('with third parties allowed, the target policy still refuses the metadata address (and a same-site private target)', async () => {
    const r = make({ allowThirdParty: true });
    const before = requested('/third-party.js');
    const out = await r.render(await input('/'));
    // localhost is loopback, allowed by the policy here: the third-party script loads and rewrites the title.
    assert.equal(requested('/third-party.js'), before + 1);
    const meta = out.blocked.find((b) => b.url.startsWith('http://169.254.169.254/'));
    assert.deepEqual(meta?.reason, 'target_policy');
    // Without ALLOW_PRIVATE_TARGETS the site's own loopback address is refused too: nothing reaches the network.
    const strict = make({}, false);
    const appBefore = requested('/app.js');
    const out2 = await strict.render(await input('/'));
    assert.equal(requested('/app.js'), appBefore);
    assert.deepEqual(out2.blocked.find((b) => b.url === `${site.origin}/app.js`)?.reason, 'target_policy');
    assert.doesNotMatch(out2.html, new RegExp(JS_TITLE));
    // A name that resolves to a refused address is judged by its addresses.
    const named = make({ allowThirdParty: true, lookup: async () => ['169.254.169.254'] });
    const out3 = await named.render({ ...(await input('/')), html: '<html><head><script src="http://metadata.example/x.js"></script></head><body></body></html>' });
    assert.deepEqual(out3.blocked.map((b) => [b.url, b.reason]), [['http://metadata.example/x.js', 'target_policy']]);
  });

  test('30 renders: never more pages open than the bound, all closed, browsers recycled and closed', async () => {
    const r = make({ concurrency: 3, recycleAfter: 12 });
    const inputs = await Promise.all(Array.from({ length: 30 }, (_, i) => input(`/grid/${i}`)));
    let maxSeen = 0;
    const outs = await Promise.all(inputs.map(async (inp) => {
      const o = await r.render(inp);
      maxSeen = Math.max(maxSeen, r.stats().openPages);
      return o;
    }));
    const s = r.stats();
    assert.equal(s.rendered, 30);
    assert.ok(s.maxOpenPages <= 3 && s.maxOpenPages >= 1, `max open pages ${s.maxOpenPages}`);
    assert.ok(maxSeen <= 3);
    assert.equal(s.openPages, 0);
    assert.equal(s.browsersLaunched, 3, 'a new browser every 12 pages');
    assert.ok(s.browsersOpen <= 1);
    // Links written by each page's script are in its rendered DOM.
    assert.match(outs[0].html, /href="\/grid\/1"/);
    assert.match(outs[10].html, /href="\/grid\/31"/);
  });

  test('a page that never yields ends at the render timeout and frees its page', async () => {
    const r = make();
    const t0 = Date.now();
    await assert.rejects(r.render({ ...(await input('/loop')), timeoutMs: 1_500 }), /timeout/i);
    assert.ok(Date.now() - t0 < 15_000);
    assert.equal(r.stats().openPages, 0);
    // The pool still works afterwards (with the default timeout: the machine may be slow).
    const out = await r.render(await input('/js/a'));
    assert.match(out.html, /Static page \/js\/a/);
  });

  test('a missing Chromium is a clear RenderUnavailableError', async () => {
    const r = make({ chromiumPath: '/nonexistent/chromium' });
    await assert.rejects(r.render(await input('/js/a')), (err: unknown) => err instanceof RenderUnavailableError && /no Chromium executable at \/nonexistent\/chromium.*CHROMIUM_PATH/.test((err as Error).message));
  });

  test('close() ends every browser process', async () => {
    const r = make();
    await r.render(await input('/js/b'));
    assert.equal(r.stats().browsersOpen, 1);
    await r.close();
    assert.equal(r.stats().browsersOpen, 0);
    await assert.rejects(r.render(await input('/js/b')), RenderUnavailableError);
    for (const other of renderers) await other.close();
    const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n').filter((l) => /chrom/i.test(l));
    assert.deepEqual(children, []);
  });
});
