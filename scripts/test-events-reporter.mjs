// A node:test reporter for scripts/run-tests.ts (plain JavaScript: node loads reporters before tsx's hooks): one line
// per test taken up (test:dequeue) and per test completed (test:complete, sent as it happens, where test:pass and
// test:fail follow declaration order), as "<start|end>\t<file>\t<nesting>\t<name>". The spec reporter prints a file's
// results only once every earlier file has finished, so when a test hangs nothing shows which one; the harness reads
// these lines to name the files and tests still in flight when the run overstays its limit.
export default async function* testEvents(source) {
  for await (const ev of source) {
    if (ev.type !== 'test:dequeue' && ev.type !== 'test:complete') continue;
    const { file = '', nesting = 0, name = '' } = ev.data;
    yield `${ev.type === 'test:dequeue' ? 'start' : 'end'}\t${file}\t${nesting}\t${String(name).replace(/[\t\n]/g, ' ')}\n`;
  }
}
