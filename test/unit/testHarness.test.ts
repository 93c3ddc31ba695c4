// The test harness (scripts/run-tests.ts) must report every test that ran. node --test runs each file in a child
// process that sends its results over its stdout pipe and, under --test-force-exit, calls process.exit() as soon as
// its last test ends: whatever was still queued for the pipe then was lost, so the runner reported fewer tests than
// ran and still exited 0 (nodejs/node#64833). The harness preloads blocking stdout writes into every test process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEST_PROCESS_PRELOADS } from '../../scripts/run-tests';
import { runWithLateReader } from '../helpers/lateReader';

test('a test process exiting right after its results keeps every byte it wrote to the runner', async () => {
  const bytes = 1 << 20; // far more than a pipe's 64 KB
  const { received } = await runWithLateReader([...TEST_PROCESS_PRELOADS, '-e', `process.stdout.write('x'.repeat(${bytes})); process.exit(0)`]);
  assert.equal(received, bytes);
});
