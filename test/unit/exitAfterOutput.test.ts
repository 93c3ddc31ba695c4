// The CLI's last step (src/cli.ts runCli): exit with the command's code only once its output has left the process, so a
// JSON report or an export piped into a slow reader (`sitesweep report <id> --json | jq`) arrives whole.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { runWithLateReader } from '../helpers/lateReader';

const MODULE = path.join(__dirname, '..', '..', 'src', 'exitAfterOutput.ts');

/** A child that writes `bytes` to stdout and ends through exitAfterOutput(code), read only after a while. */
function lateReader(bytes: number, code: number) {
  const script = `process.stdout.write('x'.repeat(${bytes})); require(${JSON.stringify(MODULE)}).exitAfterOutput(${code});`;
  return runWithLateReader(['--import', 'tsx', '-e', script]);
}

test('output larger than a pipe holds reaches a late reader whole, and the exit code is the command\'s', async () => {
  const bytes = 1 << 20;
  assert.deepEqual(await lateReader(bytes, 3), { received: bytes, exitCode: 3 });
});

test('a reader that stops early (| head) ends the command quietly with exit 0', async () => {
  // Writes until the reader has gone, as an export streaming rows does, with the CLI's handlers installed.
  const script = `const m = require(${JSON.stringify(MODULE)});
process.on('uncaughtException', (e) => { process.stderr.write('sitesweep: ' + e.message + '\\n'); process.exit(1); });
m.stopQuietlyWhenStdoutCloses();
(async () => {
  for (let i = 0; i < 1000; i++) {
    if (!process.stdout.write('y'.repeat(10000) + '\\n')) await new Promise((r) => process.stdout.once('drain', r));
  }
  m.exitAfterOutput(0);
})();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d; });
  // The reader takes one chunk and goes away.
  child.stdout.once('data', () => child.stdout.destroy());
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  assert.deepEqual({ exitCode, stderr }, { exitCode: 0, stderr: '' });
});
