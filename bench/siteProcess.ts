// The fixture site (bench/fixtureSite.ts) in its own process, as every bench serves it: the process prints
// `{"origin": …}` on its first line and serves until its stdin closes or it is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { BenchSiteStats } from './fixtureSite';

export interface SiteProcess {
  origin: string;
  pid: number;
  child: ChildProcess;
}

export async function startSiteProcess(pages: number, seed = 0, latencyMs = 0): Promise<SiteProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtureSite.ts'), String(pages), String(seed), String(latencyMs)], {
    cwd: path.join(__dirname, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`fixture site exited (${code})`)));
  });
  const { origin } = JSON.parse(line) as { origin: string };
  return { origin, pid: child.pid!, child };
}

/** What the site served since its start or last reset (`/__bench/stats`). */
export async function siteStats(origin: string): Promise<BenchSiteStats> {
  const res = await fetch(`${origin}/__bench/stats`);
  return (await res.json()) as BenchSiteStats;
}

export async function resetSite(origin: string): Promise<void> {
  await fetch(`${origin}/__bench/reset`);
}

/** BENCH_SITE_LATENCY_MS: every answer of the measured site that many ms late (0, the default: none). */
export function siteLatencyFromEnv(): number {
  const latencyMs = Number(process.env.BENCH_SITE_LATENCY_MS || 0);
  if (!Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > 5_000) throw new Error('BENCH_SITE_LATENCY_MS must be 0..5000');
  return latencyMs;
}
