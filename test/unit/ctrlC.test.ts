// Ctrl-C in `sitesweep audit` / `batch`: the first SIGINT asks the command to stop; the copy `npm run` forwards right
// after it (the terminal signalled the command already) is the same Ctrl-C; one a second later quits at once.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { CTRL_C_REPEAT_MS, takeCtrlC } from '../../src/cliCommands';

const released: Array<() => void> = [];
afterEach(() => {
  for (const r of released.splice(0)) r();
});

function withFakeExit(fn: (exits: number[]) => void): number[] {
  const exits: number[] = [];
  const realExit = process.exit;
  const realWrite = process.stderr.write;
  process.exit = ((code?: number) => void exits.push(code ?? 0)) as typeof process.exit;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    fn(exits);
  } finally {
    process.exit = realExit;
    process.stderr.write = realWrite;
  }
  return exits;
}

test('a SIGINT right after the first is the same Ctrl-C; one after CTRL_C_REPEAT_MS exits 130', () => {
  let clock = 1_000;
  const exits = withFakeExit(() => {
    const ctrlC = takeCtrlC('stopping', () => clock);
    released.push(ctrlC.release);
    assert.equal(ctrlC.interrupted(), false);
    process.emit('SIGINT', 'SIGINT');
    assert.equal(ctrlC.interrupted(), true);
    clock += 5; // npm's forwarded copy
    process.emit('SIGINT', 'SIGINT');
    clock += CTRL_C_REPEAT_MS - 100;
    process.emit('SIGINT', 'SIGINT');
  });
  assert.deepEqual(exits, [], 'repeats within the window do not quit');
  const later = withFakeExit(() => {
    clock += 200;
    process.emit('SIGINT', 'SIGINT');
  });
  assert.deepEqual(later, [130]);
});

test('release() gives SIGINT back', () => {
  const before = process.listenerCount('SIGINT');
  const ctrlC = takeCtrlC('stopping');
  assert.equal(process.listenerCount('SIGINT'), before + 1);
  ctrlC.release();
  assert.equal(process.listenerCount('SIGINT'), before);
});
