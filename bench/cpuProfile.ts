// Summarises a V8 .cpuprofile (node --cpu-prof) by self time: per package / source file, and the top functions.
import { readFileSync, writeFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  byCategory: Array<{ category: string; ms: number; pct: number }>;
  topFunctions: Array<{ fn: string; ms: number; pct: number }>;
}

/** Where a frame's code lives: an npm package, a Sitesweep source file, Node internals, or V8 pseudo-frames. */
export function categoryOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').split('/').slice(0, 2).join('/');
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1).replace(/\.ts$/, '');
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return url.slice(bench + 1).replace(/\.ts$/, '');
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfileFile(file: string, top = 15): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

export function summarizeProfile(p: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const cat = categoryOf(n.callFrame.url, n.callFrame.functionName);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${cat}:${n.callFrame.lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ k, ms: Math.round(us / 1000), pct: Math.round((us / total) * 1000) / 10 }));
  return {
    totalMs: Math.round(total / 1000),
    byCategory: rows(cats).map((r) => ({ category: r.k, ms: r.ms, pct: r.pct })),
    topFunctions: rows(fns).map((r) => ({ fn: r.k, ms: r.ms, pct: r.pct })),
  };
}

/** CPU-profile the main thread of this process while `fn` runs (node:inspector, 1 ms sampling). */
export async function profileMainThread<T>(fn: () => Promise<T>, top = 20): Promise<{ value: T; profile: ProfileSummary }> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 1000 });
  await post('Profiler.start');
  try {
    const value = await fn();
    const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
    // The whole profile too, for call trees (Chrome DevTools' Performance panel opens it).
    if (process.env.BENCH_PROFILE_OUT) writeFileSync(process.env.BENCH_PROFILE_OUT, JSON.stringify(profile));
    return { value, profile: summarizeProfile(profile, top) };
  } finally {
    session.disconnect();
  }
}
