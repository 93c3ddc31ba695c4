// The `sitesweep audit` command as a user runs it: against the configured Temporal server and PostgreSQL, with a
// progress display on stderr, the report on stdout, exit 0; bad input gets a message naming the field and exit 2.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { runCli } from '../helpers/cli';
import { closedPort } from '../../src/stack';
import { createTestDatabase, requireEnv, uid, type TestDb } from '../helpers/stack';

let site: FixtureSite;
let tdb: TestDb;

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, env);

before(async () => {
  site = await startFixtureSite({ slowMs: 50 });
  tdb = await createTestDatabase('cli');
});

after(async () => {
  await tdb?.close();
  await site?.close();
});

test('sitesweep audit runs a site to completion and prints the summary', async () => {
  const key = `cli-${uid()}`;
  const env = { TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: `cli-${uid()}`, DATABASE_URL: tdb.url, FETCH_RETRIES: '0' };
  const res = await cli(['audit', site.origin, '--allow-private', '--max-pages', '6', '--key', key], env);
  assert.equal(res.code, 0, res.stderr.slice(-2000));
  assert.match(res.stderr, /Run [0-9a-f-]+ started/);
  assert.match(res.stderr, /\d+\/\d+ pages/, 'a progress line');
  // The last frame gives the whole run's rate (it said "0 pages/min", the live rate once the crawl was over).
  const frames = res.stderr.split(/[\r\n]+/).filter((l) => /\| completed/.test(l));
  assert.ok(frames.length > 0, res.stderr.slice(-1000));
  assert.match(frames.at(-1)!, /\| 6\/6 pages \| 0 failed \| [1-9][\d,]* pages\/min \| completed/);
  assert.match(res.stdout, /: completed/);
  // The health score right under the page counts (it used to come last, after the Web UI link).
  assert.match(res.stdout, /pages audited 6, failed 0, success rate 100\.0%, duration \S+\n {2}health score [\d.]+ \(\d+ of 6 pages with a critical finding\)\n/);
  assert.match(res.stdout, /Temporal Web UI: http\S+\n?$/);
  const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM page_audits`);
  assert.equal(n, 6);
  // The same --key again is the same run, and the command says so (it said "started" as if it were new).
  const again = await cli(['audit', site.origin, '--allow-private', '--max-pages', '3', '--key', key], env);
  assert.equal(again.code, 0, again.stderr.slice(-2000));
  assert.match(again.stderr, /Run [0-9a-f-]+ started earlier with this --key; following it \(its options are the ones it started with\)/);
  assert.match(again.stdout, /pages audited 6, failed 0/);
});

test('a site that refuses connections: its one URL failed, the run fails (row and workflow), the last progress frame says so, and the audit exits 1 saying why', async () => {
  const closed = `http://127.0.0.1:${await closedPort()}/`;
  const res = await cli(['audit', closed, '--allow-private', '--key', `cli-${uid()}`], {
    TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'),
    TEMPORAL_TASK_QUEUE: `cli-${uid()}`,
    DATABASE_URL: tdb.url,
    FETCH_RETRIES: '0',
  });
  // Nothing audited is not a pass for a build gate (a batch records such a domain as failed too).
  assert.equal(res.code, 1, res.stderr.slice(-2000));
  assert.match(res.stderr, /No page could be audited \(exit 1\): connection_refused: every page failed \(1 page\)\. Is the site up/);
  assert.match(res.stdout, /pages audited 0, failed 1, success rate 0\.0%/);
  assert.match(res.stdout, /top failure reasons: connection_refused ×1/);
  const frames = res.stderr.split('\n').filter((l) => / pages \| /.test(l));
  assert.match(frames.at(-1) ?? '', /\| 1\/1 pages \| 1 failed \| .*\| failed \|/, frames.join('\n'));
  // Never a completed audit of nothing, in the database or in Temporal: it would be the next run's baseline.
  const runId = /Run ([0-9a-f-]+) started/.exec(res.stderr)![1];
  const [row] = await tdb.db.query(`SELECT status, error, workflow_id FROM audit_runs WHERE id = $1`, [runId]);
  assert.deepEqual({ status: row.status, error: row.error }, { status: 'failed', error: 'connection_refused: every page failed (1 page)' });
  const connection = await Connection.connect({ address: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS') });
  try {
    const desc = await new Client({ connection }).workflow.getHandle(row.workflow_id).describe();
    assert.equal(desc.status.name, 'FAILED');
  } finally {
    await connection.close();
  }
  // A batch with that site: the domain's failure is in the command's table, and the batch exits 1.
  const batch = await cli(['batch', closed, '--allow-private'], {
    TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'),
    TEMPORAL_TASK_QUEUE: `cli-${uid()}`,
    DATABASE_URL: tdb.url,
    FETCH_RETRIES: '0',
  });
  assert.equal(batch.code, 1, batch.stderr.slice(-2000));
  assert.match(batch.stdout, /^batch [0-9a-f-]+: \w+, 0 of 1 domain completed, 1 failed, 0 cancelled$/m);
  assert.match(batch.stdout, /failed +run [0-9a-f-]+ +pages 0 +error: connection_refused: every page failed \(1 page\)/);
});

test('bad input: a message naming the field and exit status 2, nothing started', async () => {
  const badUrl = await cli(['audit', 'ftp://example.com/'], { DATABASE_URL: tdb.url });
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /url: must be an absolute http\(s\) URL/);
  const badOption = await cli(['audit', site.origin, '--max-pages', '0'], { DATABASE_URL: tdb.url });
  assert.equal(badOption.code, 2);
  assert.match(badOption.stderr, /^sitesweep: --max-pages: must be >= 1/);
  // A bad environment value of the stack's own settings is bad input too (it was exit 1).
  const badEnv = await cli(['audit', site.origin, '--allow-private'], { DATABASE_URL: tdb.url, DATABASE_POOL_SIZE: 'abc' });
  assert.equal(badEnv.code, 2, badEnv.stderr);
  assert.match(badEnv.stderr, /^sitesweep: Invalid configuration:\n {2}DATABASE_POOL_SIZE: /);
  const notInt = await cli(['audit', site.origin, '--max-pages', 'lots'], { DATABASE_URL: tdb.url });
  assert.equal(notInt.code, 2);
  assert.match(notInt.stderr, /^sitesweep: .*--max-pages must be an integer/);
  const port = await cli(['api', '--port', '99999'], { DATABASE_URL: '' });
  assert.equal(port.code, 2);
  assert.equal(port.stderr, 'sitesweep: --port: must be between 1 and 65535\n', 'the bad port, not the missing DATABASE_URL');
  const unknown = await cli(['audit', site.origin, '--bogus'], { DATABASE_URL: tdb.url });
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "sitesweep: unknown option '--bogus'\n");
  // A refused target is judged before a stack is brought up (it used to start Temporal and PostgreSQL first; a private
  // network address is refused even where loopback is allowed).
  for (const args of [['audit', 'http://10.0.0.1/'], ['batch', site.origin, 'http://10.0.0.1/', '--allow-private']]) {
    const refused = await cli(args, { DATABASE_URL: tdb.url });
    assert.equal(refused.code, 2, args.join(' '));
    assert.match(refused.stderr, /target 10\.0\.0\.1 is a private\/blocked address/, args.join(' '));
    assert.doesNotMatch(refused.stderr, /Bringing up/, args.join(' '));
  }
  // A site on this machine without --allow-private: the refusal names the flag that allows it.
  const loopback = await cli(['audit', site.origin], { DATABASE_URL: tdb.url });
  assert.equal(loopback.code, 2);
  assert.match(loopback.stderr, /url: target 127\.0\.0\.1 is a private\/blocked address .*the CLI's --allow-private/);
  const [{ n }] = await tdb.db.query(`SELECT count(*)::int AS n FROM audit_runs`);
  assert.equal(n, 3, 'only the runs of the tests before');
  const [{ b }] = await tdb.db.query(`SELECT count(*)::int AS b FROM audit_batches`);
  assert.equal(b, 1, 'only the batch of the test before');
});

test('credentials from the environment reach every request of the run, and are stored only sealed', async () => {
  // The CLI used to pass them to the run unsealed, and the run's option parsing dropped them: a site behind a login
  // was audited logged out (every page a 401), with no word of it.
  const password = `pw-${uid()}-never-printed`;
  const seen: Array<{ path: string; ok: boolean }> = [];
  const expected = `Basic ${Buffer.from(`auditor:${password}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    const ok = req.headers.authorization === expected && req.headers.cookie === 'session=s1' && req.headers['x-team'] === 'seo';
    seen.push({ path: req.url ?? '', ok });
    if (!ok) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="cli"' }).end('login required');
    if (req.url === '/robots.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nAllow: /\n');
    const links = ['/', '/a', '/b'].map((p) => `<a href="${p}">Page ${p} of the members area</a>`).join(' ');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><title>Members area page ${req.url} of the CLI fixture</title></head><body><h1>Members ${req.url}</h1>${links}</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const res = await cli(['audit', origin, '--allow-private', '--max-pages', '3', '--key', `cli-${uid()}`], {
      TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'),
      TEMPORAL_TASK_QUEUE: `cli-${uid()}`,
      DATABASE_URL: tdb.url,
      FETCH_RETRIES: '0',
      SITESWEEP_AUTH_USER: 'auditor',
      SITESWEEP_AUTH_PASSWORD: password,
      SITESWEEP_COOKIES: '{"session":"s1"}',
      SITESWEEP_HEADERS: '{"X-Team":"seo"}',
    });
    assert.equal(res.code, 0, res.stderr.slice(-2000));
    assert.match(res.stdout, /pages audited 3, failed 0/);
    assert.deepEqual(seen.filter((r) => !r.ok), [], 'every request carried the credentials');
    assert.ok(seen.some((r) => r.path === '/b'), 'the crawl went past the first page');
    assert.ok(!res.stdout.includes(password) && !res.stderr.includes(password), 'the password is never printed');
    const runId = /Run ([0-9a-f-]+) started/.exec(res.stderr)![1];
    const [row] = await tdb.db.query(`SELECT options::text AS options FROM audit_runs WHERE id = $1`, [runId]);
    assert.ok(!row.options.includes(password), 'the stored options hold no plain password');
    assert.match(JSON.parse(row.options).sealedCredentials, /^v1\./);
    const statuses = await tdb.db.query(`SELECT DISTINCT status_code FROM page_audits WHERE run_id = $1`, [runId]);
    assert.deepEqual(statuses.map((r: { status_code: number }) => r.status_code), [200]);
  } finally {
    server.close();
  }
});

test('a site whose every page answers an HTTP error is not a pass: exit 1 saying what it answered', async () => {
  // A mistyped start URL answers 404 and links nowhere: the run completes, but audited no page of a site.
  const server = http.createServer((_req, res) => void res.writeHead(404, { 'content-type': 'text/html' }).end('<html><title>Not found</title></html>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await cli(['audit', `http://127.0.0.1:${(server.address() as AddressInfo).port}/typo`, '--allow-private', '--key', `cli-${uid()}`], {
      TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: `cli-${uid()}`, DATABASE_URL: tdb.url, FETCH_RETRIES: '0',
    });
    assert.equal(res.code, 1, res.stderr.slice(-2000));
    assert.match(res.stdout, /: completed\n {2}pages audited 1, failed 0/);
    assert.match(res.stderr, /Every page answered an HTTP error \(exit 1\): 404 ×1\. Is the URL right, and is the site serving\?/);
  } finally {
    server.close();
  }
});

test('a start URL that answers 404 on a site with a sitemap: the audit runs on, and the command says the start URL failed', async () => {
  const res = await cli(['audit', `${site.origin}/does-not-exist`, '--allow-private', '--max-pages', '8', '--key', `cli-${uid()}`], {
    TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: `cli-${uid()}`, DATABASE_URL: tdb.url, FETCH_RETRIES: '0',
  });
  assert.equal(res.code, 0, res.stderr.slice(-2000));
  assert.match(res.stdout, /: completed\n {2}pages audited 8/);
  assert.match(res.stderr, new RegExp(`note: the start URL ${site.origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/does-not-exist answered HTTP 404; the other pages came from the site's sitemaps and links\\. Is the URL right\\?`));
  // A start URL that answers is not mentioned.
  const fine = await cli(['audit', site.origin, '--allow-private', '--max-pages', '3', '--key', `cli-${uid()}`], {
    TEMPORAL_ADDRESS: requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: `cli-${uid()}`, DATABASE_URL: tdb.url, FETCH_RETRIES: '0',
  });
  assert.equal(fine.code, 0, fine.stderr.slice(-2000));
  assert.doesNotMatch(fine.stderr, /note: the start URL/);
});
