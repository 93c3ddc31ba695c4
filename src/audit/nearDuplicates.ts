// Near-duplicate clustering of SimHashes (pure): candidate pairs by two-block keys, confirmed by bit similarity.
import { popcount32, simhashSimilarity } from './text';

/** Near duplicates: at least this share of equal SimHash bits (≥ 58 of 64). */
export const NEAR_DUPLICATE_SIMILARITY = 0.9;

/**
 * Clusters of indexable pages whose SimHashes agree on ≥ 90% of bits (and whose text is not identical: that is
 * duplicate_content). Candidates come from tables keyed by two blocks of the 64 bits: the bits are cut into
 * maxDiff + 2 blocks, so two hashes at most maxDiff bits apart differ in at most maxDiff blocks and agree on at least
 * two whole blocks (pigeonhole); one table per pair of blocks (28 at 90%: 8 blocks of 8 bits, 16-bit keys) finds every
 * such pair, and each candidate is confirmed with simhashSimilarity. With one block per key (7 bands of ~9 bits) a
 * bucket held n/512 hashes and the pairs checked grew with n²: 100k pages 0.53-0.73 s.
 */
export function nearDuplicateClusters(
  pages: ReadonlyArray<{ url: string; simhash: string; contentHash: string | null }>,
  threshold = NEAR_DUPLICATE_SIMILARITY,
): Array<{ urls: string[]; minSimilarity: number }> {
  const maxDiff = Math.floor(64 * (1 - threshold) + 1e-9);
  // Each hash as two 32-bit halves: block keys (bits start..end-1, bit 0 the most significant) and the bit distance
  // are read from them, with no string or BigInt per page and block.
  const hi = pages.map((p) => parseInt(p.simhash.slice(0, 8), 16));
  const lo = pages.map((p) => parseInt(p.simhash.slice(8, 16), 16));
  const n = pages.length;
  const nBlocks = Math.min(64, maxDiff + 2);
  // Each block's bits of every hash (block b: bits start..end-1, bit 0 the most significant), read from the 64 bits as
  // hi:lo shifted so that bit end-1 is the lowest; the mask keeps the block's end-start (≤ 16 at 90%) bits, so what a
  // 32-bit shift drops above them does not matter.
  const blocks = Array.from({ length: nBlocks }, (_, b) => {
    const start = Math.floor((b * 64) / nBlocks);
    const end = Math.floor(((b + 1) * 64) / nBlocks);
    const mask = 2 ** (end - start) - 1;
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const v = end <= 32 ? hi[i] >>> (32 - end) : start < 32 ? (hi[i] << (end - 32)) | (lo[i] >>> (64 - end)) : lo[i] >>> (64 - end);
      bits[i] = (v & mask) >>> 0;
    }
    return { width: end - start, bits };
  });
  const parent = pages.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const minSim = new Map<number, number>();
  // A pair can share several keys: it is judged once (at its first shared key), recorded by its pair index.
  const checked = new Set<number>();
  const pairSims: Array<[number, number, number]> = [];
  // One table per pair of blocks (a, b), keyed by a's bits above b's (16 bits at 90%), folded to about one key per
  // hash (2n keys, at least 2^10, at most 2^20: the counting sort's array stays small for a small site): equal blocks
  // still give equal keys, and a collision only adds a candidate that the bit distance turns down. Per table: the
  // hashes ordered by key with a counting sort, then every pair within a run of equal keys; typed arrays, no bucket
  // objects.
  const keys = new Uint32Array(n);
  const order = new Uint32Array(n);
  const foldBits = Math.min(20, Math.max(10, Math.ceil(Math.log2(n + 1)) + 1));
  for (let a = 0; a < nBlocks; a++) {
    for (let b = a + 1; b < nBlocks; b++) {
      const A = blocks[a].bits;
      const B = blocks[b].bits;
      const shift = blocks[b].width;
      const exact = blocks[a].width + shift <= 31;
      const size = 2 ** Math.min(foldBits, blocks[a].width + shift);
      const mask = size - 1;
      // Both blocks in one 31-bit value when they fit (its low bits are the fold), else mixed.
      if (exact) for (let i = 0; i < n; i++) keys[i] = ((A[i] << shift) | B[i]) & mask;
      else for (let i = 0; i < n; i++) keys[i] = ((Math.imul(A[i], 0x9e3779b1) ^ B[i]) >>> 0) & mask;
      const starts = new Uint32Array(size + 1);
      for (let i = 0; i < n; i++) starts[keys[i] + 1]++;
      for (let k = 0; k < size; k++) starts[k + 1] += starts[k];
      for (let i = 0; i < n; i++) order[starts[keys[i]]++] = i;
      // starts[k] is now the end of key k's run (and the start of key k + 1's); order is ascending within a run.
      let from = 0;
      for (let k = 0; k < size; k++) {
        const to = starts[k];
        for (let x = from; x < to; x++) {
          const i = order[x];
          for (let y = x + 1; y < to; y++) {
            const j = order[y];
            const diff = popcount32((hi[i] ^ hi[j]) >>> 0) + popcount32((lo[i] ^ lo[j]) >>> 0);
            if (diff > maxDiff) continue;
            const key = i * n + j;
            if (checked.has(key)) continue;
            checked.add(key);
            if (pages[i].contentHash !== null && pages[i].contentHash === pages[j].contentHash) continue;
            const sim = simhashSimilarity(pages[i].simhash, pages[j].simhash);
            if (sim >= threshold) pairSims.push([i, j, sim]);
          }
        }
        from = to;
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

/**
 * A cluster's detail: its least similar pair, floored ("≥ 93% similar"). Equal fingerprints (the same words in other
 * amounts) are "100% similar", not "≥ 100%".
 */
export function similarityDetail(minSimilarity: number): string {
  return minSimilarity >= 1 ? '100% similar' : `≥ ${Math.floor(minSimilarity * 100)}% similar`;
}
