// The memory settings of a long-lived worker process (README, "Running N workers"): fewer glibc malloc arenas, a
// bounded old generation and young generation for V8's main thread, and the size of V8's helper thread pool. All must
// be set before the process starts: `npm run worker`, the Docker image and the compose file set them on their command
// lines (a test keeps those equal to these), and `sitesweep worker` starts itself once more with them. The npm scripts
// whose CLI process runs a worker too have settings of their own (CLI_NODE_FLAGS).

/** glibc: without it every thread of the worker (analysis pool, Temporal's core) grows its own arena (~40 MB more RSS). */
export const WORKER_MALLOC_ARENA_MAX = '2';

/**
 * V8 flags of the worker: the main thread's old generation bound and 8 MB semi-spaces, and 2 threads for V8's own
 * background work (GC and compilation for the main thread and every analysis thread; node's default is 4 whatever the
 * machine). The worker already keeps every core busy with JavaScript (its main thread and one analysis thread per core
 * but one), so more helpers only take turns with them: with 4, on 2 cores, the helpers waited 7.6-9.4 s for a core per
 * 10k pages. 10k bench, four alternating rounds: 641-693 pages/s with 4, 657-718 with 1, 699-717 with 2; worker CPU
 * 17.5-19.5 → 16.9-18.3 s (helpers 3.8-4.4 → 3.1-3.7 s), peak RSS at 10k unchanged. Slower concurrent marking costs
 * some memory at 100k: peak RSS 344-388 MB in ten runs, against 356 and 359 with 4 (bench/HISTORY.md).
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=156', '--max-semi-space-size=8', '--v8-pool-size=2'] as const;

/**
 * V8 flags of the npm scripts that run a worker inside the CLI's own process (`npm run audit`, `npm run stack`,
 * `npm run sitesweep`). Not the worker's 156 MB: the CLI process holds more besides its worker, and at that bound a
 * 100k-page audit ran out of heap at its end. Without any bound V8 sizes the heap for the machine's memory and grows
 * it up to 4x the live data: `npm run audit` of 100k pages peaked at 874 MB RSS in 152 s; with these, 448 MB in 143 s
 * (10k: 367-370 against 531-569 MB, the same time within noise).
 */
export const CLI_NODE_FLAGS = ['--max-old-space-size=384', '--v8-pool-size=2'] as const;

/** Set in the environment of a process started with the settings, so it does not start itself again. */
const MARK = 'SITESWEEP_WORKER_MEMORY';

/** Whether this process still has to be started again with the worker's memory settings. */
export function needsWorkerMemorySettings(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[MARK] !== '1';
}

/**
 * The environment of a worker process with the settings: MALLOC_ARENA_MAX unless the user set one, and the V8 flags
 * ahead of the user's NODE_OPTIONS (the later flag wins, so a user's own bound still applies).
 */
export function workerMemoryEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  // `npm run sitesweep -- worker` inherits the CLI scripts' flags, which they put first: they are not the user's, and
  // must not override these. The rest is passed on as written (quoting included).
  const inherited = env.NODE_OPTIONS ?? '';
  const cliPrefix = CLI_NODE_FLAGS.join(' ');
  const own = inherited.startsWith(cliPrefix) ? inherited.slice(cliPrefix.length) : inherited;
  return {
    ...env,
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? WORKER_MALLOC_ARENA_MAX,
    NODE_OPTIONS: [...WORKER_NODE_FLAGS, own.trim()].join(' ').trim(),
    [MARK]: '1',
  };
}
