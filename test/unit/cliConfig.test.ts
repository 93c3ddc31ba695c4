// The CLI's settings layers: flag > environment > config file > defaults; the file is validated by the API's schema.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DomainError } from '../../src/errors';
import { configFileSchema, envName, readConfigFile, resolveRunSettings } from '../../src/cliConfig';
import { loadConfig } from '../../src/config';
import { DEFAULT_UI_PORT, devServerUiUrl } from '../../src/stack';

const flags = (given: Record<string, unknown> = {}) => ({ get: (attr: string) => given[attr] });

test('precedence: flag > env > file > defaults, per setting', () => {
  const file = { options: { maxPages: 2, maxDepth: 3, crawlDelayMs: 100, thresholds: { titleMaxChars: 50 } }, budgets: { minScore: 80, failOn: 'warning' as const } };
  const env = { SITESWEEP_MAX_PAGES: '3', SITESWEEP_CRAWL_DELAY_MS: '200', SITESWEEP_MIN_SCORE: '85', SITESWEEP_THRESHOLDS: 'titleMinChars=5' };
  const r = resolveRunSettings(flags({ maxPages: 4, failOn: 'critical', threshold: ['titleMaxChars=70'] }), env, file, 'https://example.com');
  assert.equal(r.options.maxPages, 4, 'flag beats env and file');
  assert.equal(r.options.crawlDelayMs, 200, 'env beats file');
  assert.equal(r.options.maxDepth, 3, 'file beats defaults');
  assert.equal(r.options.userAgent, undefined, 'defaults stay with the workflow');
  assert.deepEqual(r.options.thresholds, { titleMaxChars: 70, titleMinChars: 5 });
  assert.deepEqual(r.budgets, { minScore: 85, failOn: 'critical' });
  const noFlags = resolveRunSettings(flags(), {}, file);
  assert.equal(noFlags.options.maxPages, 2);
  assert.deepEqual(noFlags.budgets, { minScore: 80, failOn: 'warning' });
  assert.equal(envName('perHostConcurrency'), 'SITESWEEP_PER_HOST_CONCURRENCY');
});

test('config file: an unknown key is an error naming it; a bad env value names the variable', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-cfg-'));
  writeFileSync(path.join(dir, 'sitesweep.config.json'), JSON.stringify({ budgets: { minScore: 50, maxScore: 1 } }));
  assert.throws(() => readConfigFile(undefined, dir), (e: unknown) => e instanceof DomainError && /sitesweep\.config\.json: budgets\.maxScore: is not a known field/.test(e.message));
  writeFileSync(path.join(dir, 'top.json'), JSON.stringify({ maxPages: 5, minScore: 80 }));
  assert.throws(() => readConfigFile('top.json', dir), /top\.json: maxPages: goes under "options"; minScore: goes under "budgets"$/);
  writeFileSync(path.join(dir, 'typo.json'), JSON.stringify({ maxPagez: 5 }));
  assert.throws(() => readConfigFile('typo.json', dir), /typo\.json: maxPagez: is not a known field/);
  assert.throws(() => readConfigFile('absent.json', dir), /--config: cannot read/);
  assert.deepEqual(readConfigFile(undefined, os.tmpdir()).config, {}, 'no file in cwd: nothing');
  assert.throws(() => resolveRunSettings(flags(), { SITESWEEP_MAX_PAGES: 'many' }, {}), /SITESWEEP_MAX_PAGES: must be an integer/);
});

test('bad environment values are bad input naming the variable: a JSON list, a boolean, an allowlist entry', () => {
  const bad = (env: Record<string, string>, re: RegExp) =>
    assert.throws(() => resolveRunSettings(flags({ allowPrivate: true }), env, {}, 'https://example.com'), (e: unknown) => e instanceof DomainError && e.kind === 'invalid' && re.test(e.message));
  bad({ SITESWEEP_EXCLUDE: '[bad' }, /^SITESWEEP_EXCLUDE: is not a valid JSON array/);
  bad({ SITESWEEP_ALLOW_PRIVATE: 'maybe' }, /^SITESWEEP_ALLOW_PRIVATE: must be true or false/);
  // A value the schema refuses names the variable or flag it came from, not the schema's field (options.maxPages).
  bad({ SITESWEEP_MAX_PAGES: '0' }, /^SITESWEEP_MAX_PAGES: must be >= 1$/);
  bad({ SITESWEEP_MIN_SCORE: '200' }, /^SITESWEEP_MIN_SCORE: must be <= 100$/);
  assert.throws(() => resolveRunSettings(flags({ maxPages: 0 }), {}, {}), /^DomainError: --max-pages: must be >= 1$|--max-pages: must be >= 1/);
  assert.throws(() => resolveRunSettings(flags({ minScore: 101 }), {}, {}), /--min-score: must be <= 100/);
  assert.deepEqual(resolveRunSettings(flags(), { SITESWEEP_EXCLUDE: '["^/a", "^/b"]' }, {}).options.exclude, ['^/a', '^/b']);
  assert.deepEqual(resolveRunSettings(flags(), { SITESWEEP_EXCLUDE: '^/a, ^/b' }, {}).options.exclude, ['^/a', '^/b']);
  assert.equal(resolveRunSettings(flags(), { SITESWEEP_ALLOW_PRIVATE: 'yes' }, {}).allowPrivate, true);
  assert.throws(() => loadConfig({ TARGET_ALLOWLIST: '192.168.1.0/24,not/a/cidr' }), /TARGET_ALLOWLIST\[1\]: "not\/a\/cidr" is not an IP address, a CIDR/);
  assert.throws(() => loadConfig({ TARGET_ALLOWLIST: '10.0.0.0/33' }), /TARGET_ALLOWLIST\[0\]/);
  assert.deepEqual(loadConfig({ TARGET_ALLOWLIST: '192.168.1.0/24, intranet.example, 10.0.0.5, fe80::/10' }).crawl.targetAllowlist, ['192.168.1.0/24', 'intranet.example', '10.0.0.5', 'fe80::/10']);
});

test('the example config file in the repository is valid', () => {
  const example = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'sitesweep.config.example.json'), 'utf8'));
  const r = configFileSchema.safeParse(example);
  assert.equal(r.success, true, JSON.stringify(r.error?.issues));
});

test('the default Web UI link names the address the dev server serves its UI on', () => {
  // `sitesweep report` reads only the database, so its link comes from TEMPORAL_UI_URL's default, while `audit` links
  // the dev server it started: both must print the same address.
  assert.equal(loadConfig({}).temporal.uiUrl, devServerUiUrl(DEFAULT_UI_PORT));
});
