import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PolitenessGate } from '../../src/crawl/politeness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `n` jobs of `workMs` through the gate on `host`, recording start times and the peak of concurrent jobs. */
async function drive(gate: PolitenessGate, host: string, n: number, limits: { concurrency: number; minSpacingMs: number }, workMs: number) {
  const starts: number[] = [];
  let inFlight = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: n }, () =>
      gate.run(host, limits, async () => {
        starts.push(performance.now());
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(workMs);
        inFlight--;
      }),
    ),
  );
  return { starts, peak };
}

describe('PolitenessGate', () => {
  test('never exceeds the per-host concurrency, even across independent callers', async () => {
    const gate = new PolitenessGate();
    // Three "batches" of 5 jobs each, started together like parallel audit activities of one run, share one probe.
    let inFlight = 0;
    let peak = 0;
    const batch = () =>
      Promise.all(
        Array.from({ length: 5 }, () =>
          gate.run('a.test', { concurrency: 2, minSpacingMs: 0 }, async () => {
            inFlight++;
            peak = Math.max(peak, inFlight);
            await sleep(15);
            inFlight--;
          }),
        ),
      );
    await Promise.all([batch(), batch(), batch()]);
    assert.equal(peak, 2);
    assert.deepEqual(gate.stats('a.test'), { active: 0, queued: 0 });
  });

  test('spaces request starts by minSpacingMs across callers', async () => {
    const gate = new PolitenessGate();
    const all: number[] = [];
    const runs = await Promise.all([0, 1].map(() => drive(gate, 'c.test', 3, { concurrency: 1, minSpacingMs: 60 }, 1)));
    for (const r of runs) all.push(...r.starts);
    all.sort((a, b) => a - b);
    assert.equal(all.length, 6);
    for (let i = 1; i < all.length; i++) assert.ok(all[i] - all[i - 1] >= 58, `gap ${all[i] - all[i - 1]} ms`);
  });

  test('the spacing also counts from the end of a slow request', async () => {
    const gate = new PolitenessGate();
    const { starts } = await drive(gate, 'slow-response.test', 2, { concurrency: 1, minSpacingMs: 50 }, 100);
    assert.ok(starts[1] - starts[0] >= 148, `second start ${starts[1] - starts[0]} ms after the first (100 ms of work + 50 ms)`);
  });

  test('hosts are independent: a slow, spaced host does not delay another', async () => {
    const gate = new PolitenessGate();
    const slow = drive(gate, 'slow.test', 3, { concurrency: 1, minSpacingMs: 400 }, 1);
    const t0 = performance.now();
    await drive(gate, 'fast.test', 10, { concurrency: 5, minSpacingMs: 0 }, 5);
    assert.ok(performance.now() - t0 < 300, 'the fast host finished well before one spacing interval of the slow one');
    await slow;
  });

  test('an aborted waiter leaves the queue and the next one gets the slot', async () => {
    const gate = new PolitenessGate();
    const releaseFirst = await gate.acquire('d.test', { concurrency: 1, minSpacingMs: 0 });
    const ac = new AbortController();
    const waiting = gate.acquire('d.test', { concurrency: 1, minSpacingMs: 0 }, ac.signal);
    const next = gate.acquire('d.test', { concurrency: 1, minSpacingMs: 0 });
    assert.equal(gate.stats('d.test').queued, 2);
    ac.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    assert.equal(gate.stats('d.test').queued, 1);
    releaseFirst();
    releaseFirst(); // idempotent: must not free a second slot
    const releaseNext = await next;
    assert.deepEqual(gate.stats('d.test'), { active: 1, queued: 0 });
    releaseNext();
    assert.deepEqual(gate.stats('d.test'), { active: 0, queued: 0 });
    await assert.rejects(gate.acquire('d.test', { concurrency: 1, minSpacingMs: 0 }, AbortSignal.abort(new Error('already'))), /already/);
  });

  test('a failing job releases its slot', async () => {
    const gate = new PolitenessGate();
    await assert.rejects(gate.run('e.test', { concurrency: 1, minSpacingMs: 0 }, async () => { throw new Error('boom'); }), /boom/);
    assert.deepEqual(gate.stats('e.test'), { active: 0, queued: 0 });
    assert.equal(await gate.run('e.test', { concurrency: 1, minSpacingMs: 0 }, async () => 42), 42);
  });
});
