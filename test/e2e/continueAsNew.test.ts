// Continue-as-new: on a dev server whose continue-as-new suggestion is lowered, a fixture run rotates several times
// and still yields exactly the same findings and row counts as a run that never did.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/stack';
import { resolveOptions, type SiteAuditResult } from '../../src/workflows/contracts';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { createTestDatabase, requireEnv, startTestWorker, testConfig, uid, type TestDb } from '../helpers/stack';

let site: FixtureSite;
let tdb: TestDb;
let lowServer: TemporalDevServer;

before(async () => {
  site = await startFixtureSite({ slowMs: 50, hangMs: 60_000 });
  tdb = await createTestDatabase('can');
  lowServer = await startTemporalDevServer({
    executable: requireEnv('TEMPORAL_CLI_PATH'),
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 30 },
  });
});

after(async () => {
  await lowServer?.stop();
  await tdb?.close();
  await site?.close();
});

async function runOn(address: string, key: string) {
  const config = testConfig({ TEMPORAL_ADDRESS: address });
  const worker = await startTestWorker(config, tdb.db);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  try {
    const workflowId = `site-audit:can:${key}`;
    const input = { ...resolveOptions({ siteUrl: site.origin }), siteUrl: site.origin, runKey: key, auditBatchSize: 2, parallelBatches: 2, requestTimeoutMs: 800, fetchRetries: 0 };
    const result: SiteAuditResult = await client.workflow.execute('siteAuditWorkflow', { workflowId, taskQueue: config.temporal.taskQueue, args: [input] });
    let runs = 0;
    for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs++;
    const rows = await tdb.db.query(
      `SELECT url, status, status_code, failure_reason, issues FROM page_audits WHERE run_id = $1 ORDER BY url`,
      [result.runId],
    );
    const [{ links }] = await tdb.db.query(`SELECT count(*)::int AS links FROM page_links WHERE run_id = $1`, [result.runId]);
    const strip = (u: string) => new URL(u).pathname;
    return {
      runs,
      result,
      rows: rows.map((r: any) => ({ ...r, url: strip(r.url), issues: r.issues.map((i: any) => i.code).sort() })),
      links,
    };
  } finally {
    await worker.stop();
    await connection.close();
  }
}

test('a run that continues-as-new several times finds exactly what a run that never did finds', async () => {
  const plain = await runOn(requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS'), `plain-${uid()}`);
  const rotated = await runOn(lowServer.address, `rotated-${uid()}`);
  assert.equal(plain.runs, 1, 'the reference run never continued-as-new');
  assert.ok(rotated.runs >= 3, `continued-as-new at least twice (runs: ${rotated.runs})`);
  assert.equal(rotated.rows.length, plain.rows.length);
  assert.deepEqual(rotated.rows, plain.rows);
  assert.equal(rotated.links, plain.links);
  const { durationMs: _a, runId: _r1, ...plainSummary } = plain.result;
  const { durationMs: _b, runId: _r2, ...rotatedSummary } = rotated.result;
  assert.deepEqual(rotatedSummary, plainSummary);
});
