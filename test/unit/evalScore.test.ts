// The precision/recall scorer behind `npm run eval:checks` (scripts/eval/score.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatScore, scoreFindings, type GroundTruth } from '../../scripts/eval/score';

const truth: GroundTruth = {
  fixture: 'unit',
  positives: [['/a', 'title_missing'], ['/b', 'title_missing'], ['/c', 'soft_404']],
  negatives: [['/fix-404', 'soft_404', 'a heading about 404 errors'], ['/at-limit', 'title_too_long', 'exactly the limit']],
};

void test('per kind and overall: true/false positives and misses, near-miss negatives that fired', () => {
  const s = scoreFindings(truth, [['/a', 'title_missing'], ['/c', 'soft_404'], ['/fix-404', 'soft_404'], ['/x', 'h1_missing'], ['/a', 'title_missing']]);
  assert.deepEqual(s.kinds.map((k) => [k.code, k.tp, k.fp, k.fn, k.precision, k.recall]), [
    ['h1_missing', 0, 1, 0, 0, 1],
    ['soft_404', 1, 1, 0, 0.5, 1],
    ['title_missing', 1, 0, 1, 1, 0.5],
  ]);
  assert.deepEqual([s.overall.tp, s.overall.fp, s.overall.fn], [2, 2, 1]);
  assert.equal(s.overall.precision, 0.5);
  assert.equal(s.overall.recall, 2 / 3);
  assert.deepEqual([s.expectedKinds, s.foundKinds], [2, 2]);
  assert.deepEqual(s.falsePositives, [['/x', 'h1_missing'], ['/fix-404', 'soft_404']]);
  assert.deepEqual(s.falseNegatives, [['/b', 'title_missing']]);
  assert.deepEqual(s.negativesHit, [truth.negatives[0]]);
  assert.match(formatScore(s), /overall\s+2\s+2\s+1\s+0\.50\s+0\.67/);
});

void test('a perfect run scores 1 and 1; a pair listed both ways is a broken truth', () => {
  const s = scoreFindings(truth, truth.positives);
  assert.deepEqual([s.overall.precision, s.overall.recall, s.falsePositives.length, s.negativesHit.length], [1, 1, 0, 0]);
  assert.throws(() => scoreFindings({ ...truth, negatives: [['/a', 'title_missing', 'x']] }, []), /both positive and negative/);
});
