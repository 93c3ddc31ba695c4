// Near-duplicate clustering of SimHashes (pure): candidate pairs by banding, confirmed by bit similarity.
import { simhashSimilarity } from './text';

/** Near duplicates: at least this share of equal SimHash bits (≥ 58 of 64). */
export const NEAR_DUPLICATE_SIMILARITY = 0.9;

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * Clusters of indexable pages whose SimHashes agree on ≥ 90% of bits (and whose text is not identical: that is
 * duplicate_content). Candidates come from 7 bands of the 64 bits: two hashes at most 6 bits apart agree on at least
 * one whole band (pigeonhole), so banding loses no pair at this threshold, and each candidate is confirmed with
 * simhashSimilarity.
 */
export function nearDuplicateClusters(
  pages: ReadonlyArray<{ url: string; simhash: string; contentHash: string | null }>,
  threshold = NEAR_DUPLICATE_SIMILARITY,
): Array<{ urls: string[]; minSimilarity: number }> {
  const bands = [[0, 9], [9, 18], [18, 27], [27, 36], [36, 45], [45, 54], [54, 64]];
  // Each hash as two 32-bit halves: band keys (bits start..end-1, bit 0 the most significant) and the bit distance
  // are read from them, with no string or BigInt per page and band.
  const hi = pages.map((p) => parseInt(p.simhash.slice(0, 8), 16));
  const lo = pages.map((p) => parseInt(p.simhash.slice(8, 16), 16));
  const bandKey = (i: number, start: number, end: number): number => {
    // The 64 bits as hi:lo, shifted so that bit end-1 is the lowest; the mask keeps the band's end-start (≤ 10) bits,
    // so what a 32-bit shift drops above them does not matter.
    const bits = end <= 32 ? hi[i] >>> (32 - end) : start < 32 ? (hi[i] << (end - 32)) | (lo[i] >>> (64 - end)) : lo[i] >>> (64 - end);
    return bits & ((1 << (end - start)) - 1);
  };
  const maxDiff = Math.floor(64 * (1 - threshold) + 1e-9);
  const parent = pages.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const minSim = new Map<number, number>();
  // A pair can share several bands: it is judged once (at its first shared band), recorded by its pair index.
  const checked = new Set<number>();
  const pairSims: Array<[number, number, number]> = [];
  for (const [start, end] of bands) {
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < pages.length; i++) {
      const key = bandKey(i, start, end);
      const list = buckets.get(key);
      if (list) list.push(i);
      else buckets.set(key, [i]);
    }
    for (const list of buckets.values()) {
      for (let x = 0; x < list.length; x++) {
        for (let y = x + 1; y < list.length; y++) {
          const i = list[x];
          const j = list[y];
          const diff = popcount32((hi[i] ^ hi[j]) >>> 0) + popcount32((lo[i] ^ lo[j]) >>> 0);
          if (diff > maxDiff) continue;
          const key = i * pages.length + j;
          if (checked.has(key)) continue;
          checked.add(key);
          if (pages[i].contentHash !== null && pages[i].contentHash === pages[j].contentHash) continue;
          const sim = simhashSimilarity(pages[i].simhash, pages[j].simhash);
          if (sim >= threshold) pairSims.push([i, j, sim]);
        }
      }
    }
  }
  for (const [i, j] of pairSims) parent[find(i)] = find(j);
  for (const [i, , sim] of pairSims) {
    const root = find(i);
    minSim.set(root, Math.min(minSim.get(root) ?? 1, sim));
  }
  const groups = new Map<number, Set<string>>();
  for (const [a, b] of pairSims) {
    for (const i of [a, b]) {
      const root = find(i);
      const g = groups.get(root) ?? new Set<string>();
      g.add(pages[i].url);
      groups.set(root, g);
    }
  }
  return [...groups.entries()]
    .map(([root, urls]) => ({ urls: [...urls].sort(), minSimilarity: minSim.get(root) ?? 1 }))
    .sort((a, b) => a.urls[0].localeCompare(b.urls[0]));
}
