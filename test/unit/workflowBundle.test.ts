// A source checkout's worker loads its workflow bundle from a cache keyed by the sources (src/temporal/workflowBundle.ts):
// built once, reused while nothing changes, built again when any source file changes, never read half-written.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { cachedWorkflowBundle, workflowBundleKey, type WorkflowBundleSource } from '../../src/temporal/workflowBundle';

const work = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-bundle-cache-'));
after(() => rmSync(work, { recursive: true, force: true }));

function sourceTree(name: string): WorkflowBundleSource {
  const root = path.join(work, name);
  mkdirSync(path.join(root, 'workflows'), { recursive: true });
  writeFileSync(path.join(root, 'workflows', 'index.ts'), 'export const a = 1;\n');
  writeFileSync(path.join(root, 'records.ts'), 'export const b = 2;\n');
  writeFileSync(path.join(root, 'README.md'), 'notes\n');
  return { workflowsPath: path.join(__dirname, '..', 'fixtures', 'workflows', 'hello.ts'), sourceRoot: root };
}

test('the key changes with any source file, the interceptors and the lockfile, and with nothing else', () => {
  const src = sourceTree('key');
  const key = workflowBundleKey(src);
  assert.match(key, /^[0-9a-f]{20}$/);
  assert.equal(workflowBundleKey(src), key, 'same sources, same key');
  writeFileSync(path.join(src.sourceRoot, 'README.md'), 'other notes\n');
  assert.equal(workflowBundleKey(src), key, 'a file that is not source does not count');
  writeFileSync(path.join(src.sourceRoot, 'records.ts'), 'export const b = 3;\n');
  const edited = workflowBundleKey(src);
  assert.notEqual(edited, key, 'a module outside workflows/ (one the workflows may import) counts');
  writeFileSync(path.join(src.sourceRoot, 'workflows', 'more.ts'), 'export const c = 1;\n');
  const added = workflowBundleKey(src);
  assert.notEqual(added, edited, 'a new file counts');
  assert.notEqual(workflowBundleKey({ ...src, interceptorModules: ['./tracing'] }), added, 'the interceptors count');
  const lockfile = path.join(work, 'package-lock.json');
  writeFileSync(lockfile, '{"v":1}');
  const locked = workflowBundleKey({ ...src, lockfile });
  writeFileSync(lockfile, '{"v":2}');
  assert.notEqual(workflowBundleKey({ ...src, lockfile }), locked, 'dependency versions count');
});

test('a bundle is built once, reused while the sources stay the same, and built again when they change', async () => {
  const src = sourceTree('cache');
  const cacheDir = path.join(work, 'home', 'workflow-bundles');
  const first = await cachedWorkflowBundle(src, cacheDir);
  assert.ok('codePath' in first && first.built, 'built and stored');
  assert.equal(path.dirname(first.codePath), cacheDir);
  assert.match(readFileSync(first.codePath, 'utf8'), /hello \$\{name\}|"hello "/, 'the workflow is in the bundle');
  assert.equal(statSync(cacheDir).mode & 0o777, 0o700, 'the cache directory is private');
  const mtime = statSync(first.codePath).mtimeMs;

  const again = await cachedWorkflowBundle(src, cacheDir);
  assert.deepEqual(again, { codePath: first.codePath, built: false });
  assert.equal(statSync(first.codePath).mtimeMs, mtime, 'not rewritten');

  writeFileSync(path.join(src.sourceRoot, 'records.ts'), 'export const b = 4;\n');
  const rebuilt = await cachedWorkflowBundle(src, cacheDir);
  assert.ok('codePath' in rebuilt && rebuilt.built && rebuilt.codePath !== first.codePath);
  assert.deepEqual(readdirSync(cacheDir).sort(), [path.basename(first.codePath), path.basename(rebuilt.codePath)].sort(), 'no temporary file left');
});

test('a cache that cannot be written still gives the bundle, built in memory', async () => {
  const src = sourceTree('readonly');
  const blocked = path.join(work, 'not-a-dir');
  writeFileSync(blocked, 'a file where the cache directory would go');
  const bundle = await cachedWorkflowBundle(src, path.join(blocked, 'workflow-bundles'));
  assert.ok('code' in bundle && bundle.built);
  assert.match(bundle.code, /hello/);
});
