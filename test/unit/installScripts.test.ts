// package.json's allowScripts is the project's reviewed list of dependency install scripts: npm 12 runs only those it
// allows and blocks the rest, npm 11 warns about every one it does not name. The lockfile marks each package that has
// such a script, so the two must name the same packages: a new dependency with a script, or a stale entry, fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.join(__dirname, '..', '..');
const readJson = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8'));

test('allowScripts names exactly the locked dependencies that have install scripts', () => {
  const lock = readJson('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = Object.entries(lock.packages)
    .filter(([at, p]) => at !== '' && p.hasInstallScript)
    .map(([at]) => at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length));
  const allowScripts = (readJson('package.json') as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
  assert.ok(withScripts.length > 0, 'the lockfile marks install scripts');
  assert.deepEqual([...new Set(withScripts)].sort(), Object.keys(allowScripts).sort());
  for (const [name, allowed] of Object.entries(allowScripts)) assert.equal(typeof allowed, 'boolean', name);
});
