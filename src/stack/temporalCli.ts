// Finds a `temporal` CLI binary (for `temporal server start-dev`), building it once with Go when
// none is installed. The build lands outside the repo (per-user cache keyed by version), so fresh
// clones and CI runs on the same machine reuse it.
import { execFile, spawn } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Logger } from './ports';
import { pidAlive, silentLogger } from './ports';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;
const BIN_NAME = process.platform === 'win32' ? 'temporal.exe' : 'temporal';
const LOCK_STALE_MS = 30 * 60_000;
const LOCK_WAIT_MS = 30 * 60_000;

export interface FindCliOptions {
  log?: Logger;
  /** Build with Go when nothing is found (default true). */
  allowBuild?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** `$XDG_CACHE_HOME or ~/.cache`/sitesweep/temporal-cli/<version>. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'sitesweep', 'temporal-cli', TEMPORAL_CLI_VERSION);
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return false;
    await fs.access(file, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable `name` on PATH, or null. */
export async function whichOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

function run(file: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, env: env ?? process.env, encoding: 'utf8' }, (err, stdout) => {
      resolve(err ? null : stdout.trim());
    });
  });
}

/** `temporal --version` output ("temporal version 1.5.1 (Server …)"), or null if it does not run. */
export async function temporalCliVersion(bin: string): Promise<string | null> {
  const out = await run(bin, ['--version'], 15_000);
  return out && /temporal version/i.test(out) ? out : null;
}

async function goBinDir(goBin: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const gopath = await run(goBin, ['env', 'GOPATH'], 15_000, env);
  // GOPATH may list several directories; `go install` uses the first.
  const first = gopath?.split(path.delimiter)[0];
  return first ? path.join(first, 'bin') : null;
}

/** Take `lockFile` (O_EXCL); returns false when another live process holds it. Stale locks are broken. */
async function tryLock(lockFile: string): Promise<boolean> {
  try {
    const fh = await fs.open(lockFile, 'wx');
    await fh.writeFile(`${process.pid}\n${Date.now()}\n`);
    await fh.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  try {
    const [pidLine, tsLine] = (await fs.readFile(lockFile, 'utf8')).split('\n');
    const pid = Number(pidLine);
    const ts = Number(tsLine);
    const stale = !Number.isInteger(pid) || pid <= 0 || !pidAlive(pid) || Date.now() - ts > LOCK_STALE_MS;
    if (stale) {
      await fs.rm(lockFile, { force: true });
      return tryLock(lockFile);
    }
  } catch {
    // Lock vanished between open and read: retry once.
    return tryLock(lockFile);
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function goInstall(goBin: string, stagingDir: string, env: NodeJS.ProcessEnv, log: Logger): Promise<boolean> {
  console.error('Building the Temporal CLI with Go (one time, takes a few minutes)…');
  log.info({ pkg: GO_PACKAGE, gobin: stagingDir }, 'go install temporal CLI');
  const child = spawn(goBin, ['install', GO_PACKAGE], {
    env: { ...env, GOBIN: stagingDir, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      // One line said "building" already; per-package progress only at debug (not a line per tick in CI logs).
      log.debug({ go: line }, 'go install');
    });
  }
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', (c) => resolve(c));
  });
  if (code !== 0) log.error({ code, output: tail.join('\n') }, 'go install of the Temporal CLI failed');
  return code === 0;
}

/** Build into the cache dir once per machine; concurrent callers wait on a lock file. */
async function buildWithGo(goBin: string, cacheDir: string, env: NodeJS.ProcessEnv, log: Logger): Promise<string | null> {
  const target = path.join(cacheDir, BIN_NAME);
  await fs.mkdir(cacheDir, { recursive: true });
  const lockFile = path.join(cacheDir, '.build.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  while (!(await tryLock(lockFile))) {
    if (await isExecutable(target)) return target;
    if (Date.now() > deadline) {
      log.warn({ lockFile }, 'gave up waiting for another Temporal CLI build');
      return null;
    }
    if (!announced) {
      log.info({ lockFile }, 'another process is building the Temporal CLI; waiting');
      announced = true;
    }
    await sleep(2_000);
  }
  try {
    if (await isExecutable(target)) return target; // built by whoever held the lock before us
    // Build into a staging dir and rename, so nobody sees a half-copied binary.
    const staging = await fs.mkdtemp(path.join(cacheDir, '.staging-'));
    try {
      if (!(await goInstall(goBin, staging, env, log))) return null;
      await fs.rename(path.join(staging, BIN_NAME), target);
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
    return (await temporalCliVersion(target)) ? target : null;
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

/**
 * Path to a working `temporal` binary, or null (the caller then uses the SDK's download).
 * Order: $TEMPORAL_CLI_PATH, PATH, the per-user cache, Go's bin dir, else a one-time `go install`.
 */
export async function findOrBuildTemporalCli(opts: FindCliOptions = {}): Promise<string | null> {
  const log = opts.log ?? silentLogger;
  const env = opts.env ?? process.env;

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (await isExecutable(explicit)) return explicit;
    log.warn({ path: explicit }, 'TEMPORAL_CLI_PATH is not an executable file; looking elsewhere');
  }

  const onPath = await whichOnPath(BIN_NAME, env);
  if (onPath && (await temporalCliVersion(onPath))) return onPath;

  const cacheDir = temporalCliCacheDir(env);
  const cached = path.join(cacheDir, BIN_NAME);
  if ((await isExecutable(cached)) && (await temporalCliVersion(cached))) return cached;

  const goBin = await whichOnPath(process.platform === 'win32' ? 'go.exe' : 'go', env);
  // Go's bin dir: `go env GOPATH`/bin, or Go's default ~/go/bin when go itself is not on PATH.
  const goBinDirs = new Set<string>();
  if (goBin) {
    const d = await goBinDir(goBin, env);
    if (d) goBinDirs.add(d);
  }
  else goBinDirs.add(path.join(env.HOME ?? os.homedir(), 'go', 'bin'));
  for (const dir of goBinDirs) {
    const candidate = path.join(dir, BIN_NAME);
    if (!(await isExecutable(candidate))) continue;
    const version = await temporalCliVersion(candidate);
    if (version) {
      if (!version.includes(TEMPORAL_CLI_VERSION.slice(1))) log.debug({ path: candidate, version }, 'using a Temporal CLI of another version');
      return candidate;
    }
  }

  if (!goBin || opts.allowBuild === false) return null;
  try {
    return await buildWithGo(goBin, cacheDir, env, log);
  } catch (err) {
    log.error({ err }, 'could not build the Temporal CLI');
    return null;
  }
}
