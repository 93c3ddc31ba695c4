// A child process whose stdout is read only after a while, as a busy reader (`| jq`, a test runner) reads it: what
// more than a pipe holds is then either written already or still queued in the child when it exits.
import { spawn } from 'node:child_process';

const READ_AFTER_MS = 300;

/** Runs node with `args` and reads its stdout READ_AFTER_MS late: the bytes that arrived, and the exit code. */
export function runWithLateReader(args: string[]): Promise<{ received: number; exitCode: number | null }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.pause();
  let received = 0;
  setTimeout(() => child.stdout.on('data', (d: Buffer) => { received += d.length; }).resume(), READ_AFTER_MS);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ received, exitCode }));
  });
}
