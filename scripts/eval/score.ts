// Precision and recall of findings against a ground truth of (url, code) pairs: pure, used by scripts/eval-checks.ts.
// A reported pair that the truth does not list is a false positive whether or not it is a listed near-miss negative;
// the negatives are listed so a report can say which deliberate traps fired.

export type Pair = [url: string, code: string];

export interface GroundTruth {
  /** What the truth describes (informational). */
  fixture: string;
  /** Every finding the run must report, as (path, code); site-level findings once per affected page. */
  positives: Pair[];
  /** Near misses: findings the run must NOT report (boundary values, text that only looks like a problem), with why. */
  negatives: Array<[url: string, code: string, why: string]>;
}

export interface KindScore {
  code: string;
  tp: number;
  fp: number;
  fn: number;
  /** tp / (tp + fp); 1 when nothing was reported. */
  precision: number;
  /** tp / (tp + fn); 1 when nothing was expected. */
  recall: number;
}

export interface Score {
  kinds: KindScore[];
  overall: KindScore;
  /** Kinds with at least one expected finding, and how many of them were found at least once. */
  expectedKinds: number;
  foundKinds: number;
  falsePositives: Pair[];
  falseNegatives: Pair[];
  /** Listed near-miss negatives that were reported. */
  negativesHit: Array<[url: string, code: string, why: string]>;
}

const key = (url: string, code: string) => `${code}\u0000${url}`;
const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);

function kind(code: string, tp: number, fp: number, fn: number): KindScore {
  return { code, tp, fp, fn, precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn) };
}

export function scoreFindings(truth: GroundTruth, reported: Pair[]): Score {
  const expected = new Set(truth.positives.map(([u, c]) => key(u, c)));
  const got = new Set(reported.map(([u, c]) => key(u, c)));
  const conflict = truth.negatives.filter(([u, c]) => expected.has(key(u, c)));
  if (conflict.length > 0) throw new Error(`ground truth lists ${conflict[0][0]} ${conflict[0][1]} as both positive and negative`);
  const counts = new Map<string, { tp: number; fp: number; fn: number }>();
  const bump = (code: string, field: 'tp' | 'fp' | 'fn') => {
    const c = counts.get(code) ?? { tp: 0, fp: 0, fn: 0 };
    c[field]++;
    counts.set(code, c);
  };
  const falsePositives: Pair[] = [];
  const falseNegatives: Pair[] = [];
  for (const k of got) {
    const [code, url] = k.split('\u0000');
    if (expected.has(k)) bump(code, 'tp');
    else {
      bump(code, 'fp');
      falsePositives.push([url, code]);
    }
  }
  for (const k of expected) {
    if (got.has(k)) continue;
    const [code, url] = k.split('\u0000');
    bump(code, 'fn');
    falseNegatives.push([url, code]);
  }
  const kinds = [...counts].map(([code, c]) => kind(code, c.tp, c.fp, c.fn)).sort((a, b) => a.code.localeCompare(b.code));
  const sum = (f: 'tp' | 'fp' | 'fn') => kinds.reduce((n, k) => n + k[f], 0);
  const byPair = (a: Pair, b: Pair) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]);
  return {
    kinds,
    overall: kind('overall', sum('tp'), sum('fp'), sum('fn')),
    expectedKinds: kinds.filter((k) => k.tp + k.fn > 0).length,
    foundKinds: kinds.filter((k) => k.tp > 0).length,
    falsePositives: falsePositives.sort(byPair),
    falseNegatives: falseNegatives.sort(byPair),
    negativesHit: truth.negatives.filter(([u, c]) => got.has(key(u, c))),
  };
}

/** The score as a fixed-width table, then the misses. */
export function formatScore(s: Score): string {
  const pct = (x: number) => x.toFixed(2).padStart(9);
  const row = (k: KindScore) => `${k.code.padEnd(34)}${String(k.tp).padStart(5)}${String(k.fp).padStart(5)}${String(k.fn).padStart(5)}${pct(k.precision)}${pct(k.recall)}`;
  const lines = [
    `${'kind'.padEnd(34)}${'tp'.padStart(5)}${'fp'.padStart(5)}${'fn'.padStart(5)}${'precision'.padStart(10)}${'recall'.padStart(9)}`,
    ...s.kinds.map(row),
    row(s.overall),
    `kinds found: ${s.foundKinds} of ${s.expectedKinds} expected`,
  ];
  for (const [u, c] of s.falsePositives) lines.push(`false positive: ${c} on ${u}`);
  for (const [u, c] of s.falseNegatives) lines.push(`missed: ${c} on ${u}`);
  for (const [u, c, why] of s.negativesHit) lines.push(`near-miss negative fired: ${c} on ${u} (${why})`);
  return lines.join('\n');
}
