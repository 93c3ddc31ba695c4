// The workflow bundle of a worker started from a source checkout (`npm run worker`, `npm run audit`, `sitesweep stack`):
// built once per content of the sources and kept under SITESWEEP_HOME, instead of webpack at every start. Bundling
// costs ~1 s and ~2 CPU-s at each start, and leaves the worker's process ~80-100 MB larger for the rest of its life
// (10k-page `npm run audit`: peak RSS 549-602 MB when bundling at start, 475-499 MB with a prebuilt bundle).
// Production (dist/ with its prebuilt bundle) and tests (WORKFLOW_BUNDLE_PATH) never get here.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Runtime } from '@temporalio/worker';

/** Bundles kept per cache directory: a few source states (branches, edits) can be switched between without rebuilding. */
const KEEP_BUNDLES = 4;
const SOURCE_FILE = /\.(ts|js|cjs|mjs|json)$/;

export interface WorkflowBundleSource {
  /** The workflows entry file (src/workflows/index.ts). */
  workflowsPath: string;
  /**
   * The directory whose files make up the key: every source file under it. Wider than what the bundle imports (any
   * file of src/), so a change in a module the workflows import (audit/records.ts, ...) can never load a stale bundle.
   */
  sourceRoot: string;
  /** Workflow interceptor modules bundled in (the OpenTelemetry ones when tracing is on). */
  interceptorModules?: string[];
  /** Also part of the key: the dependency versions the bundle inlines (package-lock.json), when present. */
  lockfile?: string;
}

/** A key for what a bundle is built from: the SDK's version, the interceptors, the lockfile and every source file. */
export function workflowBundleKey(src: WorkflowBundleSource): string {
  const h = createHash('sha256');
  h.update(`sdk ${sdkVersion()}\0interceptors ${(src.interceptorModules ?? []).join(',')}\0`);
  if (src.lockfile && existsSync(src.lockfile)) h.update(readFileSync(src.lockfile)).update('\0');
  for (const file of sourceFiles(src.sourceRoot)) {
    h.update(path.relative(src.sourceRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return h.digest('hex').slice(0, 20);
}

export type CachedWorkflowBundle = { codePath: string; built: boolean } | { code: string; built: true };

/**
 * The bundle for `src` from `cacheDir`, built and stored there first when missing. A cache that cannot be written (a
 * read-only home) is not an error: the bundle built in memory is returned. Two processes building at once each write
 * their own temporary file and rename it into place, so a reader never sees half a bundle.
 */
export async function cachedWorkflowBundle(src: WorkflowBundleSource, cacheDir: string): Promise<CachedWorkflowBundle> {
  const file = path.join(cacheDir, `workflow-bundle-${workflowBundleKey(src)}.js`);
  if (existsSync(file)) return { codePath: file, built: false };
  const { code } = await bundleWorkflowCode({
    workflowsPath: src.workflowsPath,
    ...(src.interceptorModules?.length ? { workflowInterceptorModules: src.interceptorModules } : {}),
    logger: Runtime.instance().logger,
  });
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code, { mode: 0o600 });
    renameSync(tmp, file);
    pruneOldBundles(cacheDir, file);
    return { codePath: file, built: true };
  } catch (err) {
    Runtime.instance().logger.warn(`workflow bundle not cached in ${cacheDir}: ${(err as Error).message}`);
    return { code, built: true };
  }
}

function pruneOldBundles(cacheDir: string, keep: string): void {
  const bundles = readdirSync(cacheDir)
    .filter((f) => /^workflow-bundle-[0-9a-f]+\.js(\.\d+\.tmp)?$/.test(f))
    .map((f) => path.join(cacheDir, f))
    .filter((f) => f !== keep)
    .map((f) => ({ f, mtime: statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.mtime - a.mtime);
  // Temporary files of a process that died while writing go too, once they are a minute old.
  for (const { f, mtime } of bundles.slice(KEEP_BUNDLES - 1)) {
    if (!f.endsWith('.tmp') || Date.now() - mtime > 60_000) rmSync(f, { force: true });
  }
}

function sourceFiles(root: string): string[] {
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Array<{ name: string; parentPath?: string; path?: string; isFile(): boolean }>)
    .filter((e) => e.isFile() && SOURCE_FILE.test(e.name))
    .map((e) => path.join(e.parentPath ?? e.path ?? root, e.name))
    .sort();
}

function sdkVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@temporalio/worker/package.json') as { version: string }).version;
}
