// The test harness (scripts/run-tests.ts) must report every test that ran. node --test runs each file in a child
// process that sends its results over its stdout pipe and, under --test-force-exit, calls process.exit() as soon as
// its last test ends: whatever was still queued for the pipe then was lost, so the runner reported fewer tests than
// ran and still exited 0 (nodejs/node#64833). The harness preloads blocking stdout writes into every test process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { TEST_PROCESS_PRELOADS } from '../../scripts/run-tests';

/** Bytes a child writes to its stdout pipe and then exits at once, as a test file's process does, while the reader is late. */
function receivedBeforeExit(preloads: string[], bytes: number): Promise<number> {
  const child = spawn(process.execPath, [...preloads, '-e', `process.stdout.write('x'.repeat(${bytes})); process.exit(0)`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.pause();
  let n = 0;
  // Read only once the child has had time to write and exit (a busy runner reads late): more than the pipe holds
  // is then either written already (blocking) or was still queued in the child when it exited.
  setTimeout(() => child.stdout.on('data', (d: Buffer) => { n += d.length; }).resume(), 300);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('end', () => resolve(n));
  });
}

test('a test process exiting right after its results keeps every byte it wrote to the runner', async () => {
  const bytes = 1 << 20; // far more than a pipe's 64 KB
  assert.equal(await receivedBeforeExit(TEST_PROCESS_PRELOADS, bytes), bytes);
});
