import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRate, progressAsOf } from '../../src/audit/progress';
import type { ProgressView } from '../../src/workflows/contracts';

const base: ProgressView = {
  stage: 'auditing', discovered: 100, audited: 0, failed: 0, persisted: 0, percent: 0, pagesPerMinute: 0,
  startedAt: '2026-01-01T00:00:00.000Z', elapsedMs: 5_000, etaMs: null, topFailReasons: [], paused: false, continuedAsNew: 0, runId: 'r',
};

test('progress read later moves: row counters and elapsed time as of now, not the last workflow task', () => {
  const now = Date.parse(base.startedAt) + 60_000;
  const p = progressAsOf(base, { discovered: 100, audited: 18, failed: 2, persisted: 20 }, now);
  assert.equal(p.audited, 18);
  assert.equal(p.failed, 2);
  assert.equal(p.elapsedMs, 60_000);
  assert.equal(p.pagesPerMinute, 20);
  assert.equal(p.percent, 20);
  assert.equal(p.etaMs, 4 * 60_000);
  // The query's counters win when they are ahead of the row.
  assert.equal(progressAsOf({ ...base, audited: 30 }, { audited: 18 }, now).audited, 30);
  // Nothing done yet: no rate, no ETA, but elapsed still moves.
  const idle = progressAsOf(base, {}, now);
  assert.equal(idle.elapsedMs, 60_000);
  assert.equal(idle.etaMs, null);
});

test('the rate reads as whole pages once it is in the hundreds', () => {
  assert.equal(formatRate(0), '0');
  assert.equal(formatRate(42.5), '42.5');
  assert.equal(formatRate(99.9), '99.9');
  assert.equal(formatRate(100), '100');
  assert.equal(formatRate(12948.9), '12,949');
});
