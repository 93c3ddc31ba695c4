// The bench site's latency and its count of requests answered at once: bench/workers.ts checks politeness across worker
// processes by that count, so it must count what the site really answers concurrently.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBenchSite } from '../../bench/fixtureSite';
import { resetSite, siteStats as stats } from '../../bench/siteProcess';

test('the bench site delays every answer by its latency and counts the requests it answers at once', async () => {
  const site = await startBenchSite({ pages: 20, latencyMs: 150 });
  try {
    // Five at once, robots.txt and a 404 among them: every answer waits out the latency.
    const paths = ['/', '/robots.txt', '/no-such-page', '/section-1/page-1', '/section-2/page-2'];
    const t0 = performance.now();
    const answers = await Promise.all(paths.map(async (p) => {
      const res = await fetch(`${site.origin}${p}`);
      await res.arrayBuffer();
      return res.status;
    }));
    const elapsed = performance.now() - t0;
    assert.deepEqual(answers, [200, 200, 404, 200, 200]);
    assert.ok(elapsed >= 145, `five requests answered in ${elapsed} ms`);
    const during = await stats(site.origin);
    assert.equal(during.maxInFlight, 5);
    // Each of the five spent the latency at the site (node's timers may fire a millisecond or two before it by
    // performance.now(): they count from the event loop's cached clock).
    assert.ok(during.requestSeconds >= 5 * 0.145 && during.requestSeconds < elapsed / 1000 * 5, `request seconds ${during.requestSeconds}`);

    // One after another: the count of the moment falls back, the maximum stays.
    await resetSite(site.origin);
    for (const p of paths.slice(0, 2)) await (await fetch(`${site.origin}${p}`)).arrayBuffer();
    const after = await stats(site.origin);
    assert.equal(after.requests, 2);
    assert.equal(after.maxInFlight, 1);
  } finally {
    await site.close();
  }
});
