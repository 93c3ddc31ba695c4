// The CLI's last step (src/cli.ts runCli): exit with the command's code only once its output has left the process, so a
// JSON report or an export piped into a slow reader (`sitesweep report <id> --json | jq`) arrives whole.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const MODULE = path.join(__dirname, '..', '..', 'src', 'exitAfterOutput.ts');

/** A child that writes `bytes` to stdout and ends through exitAfterOutput(code), read only after a while. */
function lateReader(bytes: number, code: number): Promise<{ received: number; exitCode: number | null }> {
  const script = `process.stdout.write('x'.repeat(${bytes})); require(${JSON.stringify(MODULE)}).exitAfterOutput(${code});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.pause();
  let received = 0;
  // Not reading for a while, as a busy `jq` or `gzip` would not: the pipe fills after 64 KB.
  setTimeout(() => child.stdout.on('data', (d: Buffer) => { received += d.length; }).resume(), 300);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ received, exitCode }));
  });
}

test('output larger than a pipe holds reaches a late reader whole, and the exit code is the command\'s', async () => {
  const bytes = 1 << 20;
  assert.deepEqual(await lateReader(bytes, 3), { received: bytes, exitCode: 3 });
});
