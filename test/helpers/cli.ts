// The `sitesweep` command as a user runs it: src/cli.ts under tsx in a child process, with its own environment.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.join(__dirname, '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `sitesweep <args>` with `env` as its whole environment (stdout and stderr piped). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT, opts: { detached?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'cli.ts'), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** Waits for a CLI child to exit: its exit code and all it wrote. */
export function cliResult(child: ChildProcess): Promise<CliResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `sitesweep <args>` to its exit, with `env` over this process's environment. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = REPO_ROOT): Promise<CliResult> {
  return cliResult(spawnCli(args, { ...process.env, ...env }, cwd));
}
