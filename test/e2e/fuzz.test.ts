// Fuzzing the API with schemathesis (every check on) against its own OpenAPI description, on the real stack: a real
// PostgreSQL database and Temporal server, but a task queue no worker polls, so runs and batches the fuzzer starts are
// written and started and never crawl anything. Fails on any server error, undocumented status code, response that
// does not match its schema, accepted invalid input or refused valid input.
//
// schemathesis is a Python tool: `.ci/run` creates the virtualenv `.venv-fuzz` with the pinned version (see README,
// "Fuzzing"); SCHEMATHESIS_BIN overrides the path. Missing, the test fails and says how to install it — it never skips.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { connectTestClient, createTestDatabase, startTestApi, testConfig, type TestDb } from '../helpers/stack';

export const SCHEMATHESIS_VERSION = '4.32.5';
const ROOT = path.join(__dirname, '..', '..');
const BIN = process.env.SCHEMATHESIS_BIN || path.join(ROOT, '.venv-fuzz', 'bin', 'schemathesis');
const MAX_EXAMPLES = process.env.FUZZ_MAX_EXAMPLES ?? '20';
const SEED = process.env.FUZZ_SEED ?? '20261123';
// The coverage phase alone takes ~190 s on a loaded 2-core machine (27 operations): room for the fuzzing phase too.
const TIME_LIMIT_MS = 420_000;
const TOKEN = 'fuzz-token-0123456789';

let tdb: TestDb;
let client: Client;
let api: { url: string; close(): Promise<void> };

before(async () => {
  tdb = await createTestDatabase('fuzz');
  // The default target policy (no private targets): generated URLs never reach a fixture or the machine itself.
  // With a token, so the auth checks (ST401/ST203) test something; with a secrets key, so runs with credentials are
  // accepted as the description says.
  // With provider keys (never used: nothing polls the queue), so a valid PUT /api/schedule is accepted, not a 400.
  const config = testConfig({
    ALLOW_PRIVATE_TARGETS: 'false', LOG_LEVEL: 'silent', API_TOKEN: TOKEN, SECRETS_KEY: 'fuzz-secrets-key-0123456789',
    ANTHROPIC_API_KEY: 'fuzz-unused-key', GEMINI_API_KEY: 'fuzz-unused-key',
    // render: "chromium" is valid input whether or not this machine has Chromium (nothing renders: no worker polls).
    CHROMIUM_PATH: process.execPath,
  });
  client = await connectTestClient(config);
  api = await startTestApi(config, tdb.db, client);
});

after(async () => {
  await api?.close();
  await client?.connection.close();
  await tdb?.close();
});

test('schemathesis finds no server error, undocumented status or schema mismatch', { timeout: 480_000 }, async () => {
  assert.ok(
    existsSync(BIN),
    `schemathesis not found at ${BIN}. Create the fuzzing virtualenv once with:\n` +
      `  python3 -m venv .venv-fuzz && .venv-fuzz/bin/pip install schemathesis==${SCHEMATHESIS_VERSION}\n` +
      '(.ci/run does this) or point SCHEMATHESIS_BIN at a schemathesis executable.',
  );
  const reportDir = mkdtempSync(path.join(os.tmpdir(), 'sitesweep-fuzz-'));
  // 413 (body over API_BODY_LIMIT) is a correct refusal of an oversized invalid body, like 400.
  const configFile = path.join(reportDir, 'schemathesis.toml');
  writeFileSync(configFile, '[checks.negative_data_rejection]\nexpected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]\n');
  const args = [
    '--config-file', configFile,
    'run', `${api.url}/api/openapi.json`,
    '--checks', 'all',
    '--header', `Authorization: Bearer ${TOKEN}`,
    '--max-examples', MAX_EXAMPLES,
    '--seed', SEED,
    // One worker: hypothesis' lambda-source parsing is not thread-safe on Python 3.11 (SystemError in ast.parse).
    '--workers', '1',
    // No stateful phase: the description declares no links between operations.
    '--phases', 'examples,coverage,fuzzing',
    '--request-timeout', '20',
    '--suppress-health-check', 'all',
    '--report', 'junit',
    '--report-dir', reportDir,
    '--generation-database', 'none',
    '--no-color',
  ];
  const t0 = Date.now();
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn(BIN, args, { env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' }, cwd: reportDir, signal: AbortSignal.timeout(TIME_LIMIT_MS) });
    let out = '';
    const log = createWriteStream(path.join(reportDir, 'schemathesis.log'));
    console.log(`# fuzz: schemathesis output in ${reportDir}/schemathesis.log`);
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => { out += d; log.write(d); });
    child.on('error', (err) => (err.name === 'AbortError' ? resolve({ code: 124, output: `${out}\n(stopped after ${TIME_LIMIT_MS} ms)` }) : reject(err)));
    child.on('exit', (c) => resolve({ code: c ?? 1, output: out }));
  });
  const summary = output.split('\n').filter((l) => /passed|failed|errored|Test cases|operations|SUMMARY|seconds/i.test(l)).slice(-8).join('\n');
  console.log(`# fuzz: schemathesis ${SCHEMATHESIS_VERSION}, ${MAX_EXAMPLES} examples/operation, seed ${SEED}, ${Date.now() - t0} ms\n${summary}`);
  const junit = path.join(reportDir, 'junit.xml');
  assert.equal(code, 0, `schemathesis reported failures (exit ${code}):\n${output.slice(-20_000)}${existsSync(junit) ? `\njunit: ${readFileSync(junit, 'utf8').length} bytes at ${junit}` : ''}`);
});
