// Preloaded into every test process (scripts/run-tests.ts). node --test runs each test file in a child process whose
// results travel to the runner over the child's stdout, a pipe; with --test-force-exit the child calls process.exit()
// as soon as its last test ends, and a pipe write still queued then is lost: the runner reported fewer tests than ran,
// and still exited 0 (nodejs/node#64833; checks.test.ts alone: 72-111 of its 111 tests on Node 24, 95 once on Node 20).
// A failure's name and error could be lost the same way. With blocking writes nothing is queued when it exits.
import process from 'node:process';

const handle = process.stdout._handle;
if (handle && typeof handle.setBlocking === 'function') handle.setBlocking(true);
