// The bench's ratios pair each run with the baseline run of its own round (bench/run.ts): the host's speed drifts
// within minutes, and a ratio of medians can pair runs from different rounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, roundRatios } from '../../bench/run';

test('each run is compared with the baseline run of its own round', () => {
  assert.deepEqual(roundRatios([10_000, 20_000], [10_000, 10_000]), [1, 0.5]);
  // A baseline with fewer rounds (one settings row of several): its last run stands for the rest.
  assert.deepEqual(roundRatios([5_000, 10_000, 20_000], [10_000]), [2, 1, 0.5]);
  assert.deepEqual(roundRatios([10_000], []), []);
});

test('a slow baseline round does not lift the median ratio the way a ratio of medians does', () => {
  // Wall ms of three interleaved 10k rounds measured on the project's machine: plain + checks' second round ran while
  // the host was slow (18.9 CPU-s for the work that took 14.5 in the others).
  const pipeline = [21_880, 16_560, 16_640];
  const checks = [14_530, 18_330, 13_410];
  const paired = roundRatios(pipeline, checks);
  assert.deepEqual(paired.map((r) => Math.round(r * 1000) / 1000), [0.664, 1.107, 0.806]);
  assert.equal(Math.round(median(paired) * 1000) / 1000, 0.806);
  // The ratio of the medians pairs the fast pipeline round 3 with round 1's baseline: 87%.
  assert.equal(Math.round((median(checks) / median(pipeline)) * 1000) / 1000, 0.873);
});
