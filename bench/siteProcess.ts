// The fixture site (bench/fixtureSite.ts) in its own process, as every bench serves it: the process prints
// `{"origin": …}` on its first line and serves until its stdin closes or it is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

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
