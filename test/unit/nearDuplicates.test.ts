// Near-duplicate clustering finds exactly what comparing every pair of pages finds, at several thresholds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nearDuplicateClusters, NEAR_DUPLICATE_SIMILARITY, similarityDetail } from '../../src/audit/nearDuplicates';
import { simhashSimilarity } from '../../src/audit/text';

type Page = { url: string; simhash: string; contentHash: string | null };

/** Every pair compared: pairs at or above the threshold (identical text excluded), their connected components. */
function bruteForce(pages: Page[], threshold: number): Array<{ urls: string[]; minSimilarity: number }> {
  const parent = pages.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const pairs: Array<[number, number, number]> = [];
  for (let i = 0; i < pages.length; i++) {
    for (let j = i + 1; j < pages.length; j++) {
      if (pages[i].contentHash !== null && pages[i].contentHash === pages[j].contentHash) continue;
      const sim = simhashSimilarity(pages[i].simhash, pages[j].simhash);
      if (sim >= threshold) pairs.push([i, j, sim]);
    }
  }
  for (const [i, j] of pairs) parent[find(i)] = find(j);
  const groups = new Map<number, { urls: Set<string>; minSimilarity: number }>();
  for (const [i, j, sim] of pairs) {
    const g = groups.get(find(i)) ?? { urls: new Set<string>(), minSimilarity: 1 };
    g.urls.add(pages[i].url).add(pages[j].url);
    g.minSimilarity = Math.min(g.minSimilarity, sim);
    groups.set(find(i), g);
  }
  return [...groups.values()].map((g) => ({ urls: [...g.urls].sort(), minSimilarity: g.minSimilarity })).sort((a, b) => a.urls[0].localeCompare(b.urls[0]));
}

/** Random hashes, and chains of copies each 0-12 bits from the one before (some with the same text). */
function site(n: number, seed: number): Page[] {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  const hex = (hi: number, lo: number) => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
  const pages: Page[] = [];
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < n; i++) {
    if (i % 5 === 0) {
      hi = next();
      lo = next();
    } else {
      for (let k = next() % 13; k > 0; k--) {
        const bit = next() % 64;
        if (bit < 32) hi = (hi ^ (1 << bit)) >>> 0;
        else lo = (lo ^ (1 << (bit - 32))) >>> 0;
      }
    }
    pages.push({ url: `https://example.com/p/${i}`, simhash: hex(hi, lo), contentHash: next() % 10 === 0 ? 'same' : `c${i}` });
  }
  return pages;
}

test('the clusters are those of comparing every pair, at the default threshold and others', () => {
  for (const [threshold, seed] of [[NEAR_DUPLICATE_SIMILARITY, 1], [NEAR_DUPLICATE_SIMILARITY, 2], [0.95, 3], [0.8, 4], [1, 5]] as const) {
    const pages = site(2_500, seed);
    const expected = bruteForce(pages, threshold);
    assert.ok(expected.length > 20, `${expected.length} clusters at ${threshold}`);
    assert.deepEqual(nearDuplicateClusters(pages, threshold), expected, `threshold ${threshold}, seed ${seed}`);
  }
});

test('a cluster says its least similar pair, and equal fingerprints say 100%', () => {
  assert.equal(similarityDetail(0.9375), '≥ 93% similar');
  assert.equal(similarityDetail(0.999), '≥ 99% similar');
  assert.equal(similarityDetail(1), '100% similar');
});
