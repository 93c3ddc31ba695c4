// Job metrics: after a known set of runs (two real ones through the worker, plus queued/running/failed rows), GET
// /api/metrics gives the right totals, error rate, throughput and average time; GET /metrics is valid Prometheus text;
// the worker's own counters (read through its registry and its METRICS_PORT endpoint) match the pages stored.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { auditPageSeconds, pageFailuresTotal, pagesAuditedTotal, persistBatchSeconds, startMetricsServer } from '../../src/metrics';
import { startFixtureSite, type FixtureSite } from '../fixtures/site';
import { startServices, type TestServices, apiCaller, createTestDatabase, testConfig, waitFor, type TestDb } from '../helpers/stack';
import { closedPort } from '../../src/ports';

const OPTIONS = { maxPages: 8, requestTimeoutMs: 1500, fetchRetries: 0, fetchRetryBaseMs: 50, auditBatchSize: 4, parallelBatches: 2 };

// Prometheus text exposition format 0.0.4, strictly: HELP/TYPE comments and `name{label="value",...} number`.
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABELS = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\["\\\\n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\["\\\\n])*")*,?)?\\}`;
// Prometheus reads values with Go's ParseFloat, so NaN and ±Inf are valid in any letter case (prom-client prints
// `Nan` for the event-loop lag mean before it has a sample).
const VALUE = '(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?|[Nn][Aa][Nn])';
/** A sample value as Prometheus reads it. */
const sampleValue = (v: string) => (/^[-+]?inf/i.test(v) ? (v.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(v) ? NaN : Number(v));
const SAMPLE_RE = new RegExp(`^(${NAME})(${LABELS})? (${VALUE})(?: -?\\d+)?$`);
const HELP_RE = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE_RE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

interface Sample { name: string; labels: Record<string, string>; value: number }

function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  assert.equal(lines.at(-1), '', 'ends with a newline');
  for (const [i, line] of lines.slice(0, -1).entries()) {
    if (line === '') continue;
    const type = TYPE_RE.exec(line);
    if (type) {
      assert.ok(!types.has(type[1]), `line ${i + 1}: one TYPE per metric (${type[1]})`);
      types.set(type[1], type[2]);
      continue;
    }
    if (HELP_RE.test(line)) continue;
    const m = SAMPLE_RE.exec(line);
    assert.ok(m, `line ${i + 1} is not Prometheus text: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    const base = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]) || types.has(base), `line ${i + 1}: sample ${m[1]} follows its TYPE line`);
    samples.push({ name: m[1], labels, value: sampleValue(m[3]) });
  }
  return { samples, types };
}

// The line that once made a fresh-clone CI red: prom-client's `Nan` before the event-loop histogram has a sample.
test('the exposition parser takes NaN and ±Inf in any letter case, as Prometheus does', () => {
  const text = [
    '# TYPE nodejs_eventloop_lag_mean_seconds gauge', 'nodejs_eventloop_lag_mean_seconds Nan',
    '# TYPE a gauge', 'a{x="1"} NaN', 'a{x="2"} +Inf', 'a{x="3"} -inf', 'a{x="4"} 1.5e3 1700000000000', '',
  ].join('\n');
  const { samples } = parsePrometheus(text);
  assert.deepEqual(samples.map((s) => s.value), [NaN, NaN, Infinity, -Infinity, 1500]);
  assert.throws(() => parsePrometheus('# TYPE b gauge\nb nope\n'), /not Prometheus text/);
});

describe('job metrics', () => {
  let site: FixtureSite;
  let tdb: TestDb;
  let api: { url: string; close(): Promise<void> };
  let services: TestServices | undefined;
  let unreachable: string;

  const call = apiCaller(() => api.url);

  before(async () => {
    site = await startFixtureSite({ slowMs: 50, hangMs: 60_000 });
    unreachable = `http://127.0.0.1:${await closedPort()}/`;
    tdb = await createTestDatabase('metrics');
    const config = testConfig();
    services = await startServices(config, tdb.db);
    ({ api } = services);
  });

  after(async () => {
    await services?.stop();
    await tdb?.close();
    await site?.close();
  });

  test('after a known set of runs, /api/metrics gives the right totals, error rate, throughput and average time', async () => {
    const empty = await call('GET', '/api/metrics');
    assert.equal(empty.status, 200);
    assert.deepEqual(
      { ...empty.body, at: undefined },
      { totalJobs: 0, queuedJobs: 0, processingJobs: 0, completedJobs: 0, failedJobs: 0, cancelledJobs: 0, throughputPerMinute: 0, errorRate: 0, averageProcessingTime: 0, at: undefined },
    );

    // Two real runs: the fixture (some pages fail: a PDF, a robots-blocked URL…) and a site whose every page fails.
    const ids: string[] = [];
    for (const url of [site.origin, unreachable]) {
      const r = await call('POST', '/api/runs', { url, options: OPTIONS });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      ids.push(r.body.runId);
    }
    // The unreachable site's run audits nothing, so it fails (with its summary and reason).
    for (const [id, status] of [[ids[0], 'completed'], [ids[1], 'failed']]) {
      await waitFor(async () => (await call('GET', `/api/runs/${id}`)).body.status === status, 90_000, 300);
    }
    // Three more jobs in known states (rows as the API and the workflow write them): queued, running, failed.
    await tdb.db.query(
      `INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, status, stage, audited, failed, error, started_at, finished_at)
       VALUES ('m:queued', 'q', 'https://queued.example/', 'queued.example', 'queued', 'queued', 0, 0, NULL, NULL, NULL),
              ('m:running', 'r', 'https://running.example/', 'running.example', 'running', 'auditing', 5, 1, NULL, now() - interval '5 seconds', NULL),
              ('m:failed', 'f', 'https://failed.example/', 'failed.example', 'failed', 'failed', 3, 1, 'persistBatch: database unavailable', now() - interval '2 seconds', now())`,
    );

    // Expected values, from the rows themselves.
    const pages: Array<{ run_id: string; status: string; failure_reason: string | null }> = await tdb.db.query(
      `SELECT run_id, status, failure_reason FROM page_audits WHERE run_id = ANY($1)`,
      [ids],
    );
    const realOk = pages.filter((p) => p.status === 'ok').length;
    const realFailed = pages.filter((p) => p.status === 'failed').length;
    assert.ok(realOk > 0 && realFailed >= 1, `the fixture runs audited ${realOk} and failed ${realFailed} pages`);
    // Processing time: over completed runs (the fixture's).
    const finished: Array<{ ms: number }> = await tdb.db.query(
      `SELECT EXTRACT(EPOCH FROM (finished_at - started_at)) * 1000 AS ms FROM audit_runs WHERE id = $1`,
      [ids[0]],
    );
    const expectedAvg = Math.round(finished.reduce((a, r) => a + Number(r.ms), 0) / finished.length);
    // errorRate: failed pages / all pages of finished runs (the running run's pages do not count).
    const expectedErrorRate = Math.round(((realFailed + 1) / (realOk + realFailed + 3 + 1)) * 10_000) / 10_000;

    const m = await call('GET', '/api/metrics');
    assert.equal(m.status, 200);
    assert.equal(m.body.totalJobs, 5);
    assert.equal(m.body.queuedJobs, 1);
    assert.equal(m.body.processingJobs, 1);
    assert.equal(m.body.completedJobs, 1);
    assert.equal(m.body.failedJobs, 2);
    assert.equal(m.body.cancelledJobs, 0);
    assert.equal(m.body.errorRate, expectedErrorRate);
    assert.ok(m.body.errorRate > 0 && m.body.errorRate < 1);
    assert.equal(m.body.throughputPerMinute, Math.round(((realOk + realFailed) / 60) * 100) / 100);
    assert.equal(m.body.averageProcessingTime, expectedAvg);
    assert.ok(m.body.averageProcessingTime > 0);

    // Failed work is listed with its reason.
    const failedList = await call('GET', '/api/runs?status=failed');
    assert.deepEqual(
      failedList.body.items.map((r: { status: string; error: string }) => [r.status, r.error]).sort(),
      [['failed', 'connection_refused: every page failed (1 page)'], ['failed', 'persistBatch: database unavailable']],
    );
  });

  test('GET /metrics parses as Prometheus text with runs by status and the worker series', async () => {
    const res = await fetch(`${api.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(await res.text());
    const one = (name: string, labels: Record<string, string> = {}) => {
      const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      assert.equal(found.length, 1, `${name}${JSON.stringify(labels)} appears once`);
      return found[0].value;
    };
    assert.equal(types.get('sitesweep_runs'), 'gauge');
    assert.equal(one('sitesweep_runs', { status: 'completed' }), 1);
    assert.equal(one('sitesweep_runs', { status: 'queued' }), 1);
    assert.equal(one('sitesweep_runs', { status: 'running' }), 1);
    assert.equal(one('sitesweep_runs', { status: 'failed' }), 2);
    assert.equal(one('sitesweep_runs', { status: 'cancelled' }), 0);
    const [{ refused }] = await tdb.db.query(`SELECT count(*)::int AS refused FROM page_audits WHERE failure_reason = 'connection_refused'`);
    assert.equal(one('sitesweep_page_failures', { reason: 'connection_refused' }), refused);
    assert.equal(types.get('sitesweep_pages_audited_total'), 'counter');
    assert.equal(types.get('sitesweep_page_failures_total'), 'counter');
    assert.equal(types.get('sitesweep_audit_page_seconds'), 'histogram');
    assert.equal(types.get('sitesweep_persist_batch_seconds'), 'histogram');
    assert.ok(types.has('process_cpu_user_seconds_total'), 'default process metrics');
    // The worker runs in this process, so its counters are served here too.
    const [{ ok }] = await tdb.db.query(`SELECT count(*)::int AS ok FROM page_audits WHERE status = 'ok'`);
    assert.equal(one('sitesweep_pages_audited_total'), ok);
    assert.equal(one('sitesweep_page_failures_total', { reason: 'connection_refused' }), refused);
    assert.equal(one('sitesweep_audit_page_seconds_bucket', { le: '+Inf' }), one('sitesweep_audit_page_seconds_count'));
  });

  test('the worker registry counts exactly the pages stored, and a worker serves it on its metrics port', async () => {
    const rows: Array<{ status: string; reason: string | null; n: number }> = await tdb.db.query(
      `SELECT status, failure_reason AS reason, count(*)::int AS n FROM page_audits GROUP BY 1, 2`,
    );
    const ok = rows.filter((r) => r.status === 'ok').reduce((a, r) => a + r.n, 0);
    const failedByReason = Object.fromEntries(rows.filter((r) => r.status === 'failed').map((r) => [r.reason ?? 'unknown', r.n]));
    assert.equal((await pagesAuditedTotal.get()).values[0].value, ok);
    const failures = Object.fromEntries((await pageFailuresTotal.get()).values.map((v) => [String(v.labels.reason), v.value]));
    assert.deepEqual(failures, failedByReason);
    const auditCount = (await auditPageSeconds.get()).values.find((v) => v.metricName === 'sitesweep_audit_page_seconds_count')!.value;
    assert.equal(auditCount, ok + Object.values(failedByReason).reduce((a, n) => a + n, 0), 'one latency observation per page');
    const persistCount = (await persistBatchSeconds.get()).values.find((v) => v.metricName === 'sitesweep_persist_batch_seconds_count')!.value;
    assert.ok(persistCount >= 2, `persist transactions observed: ${persistCount}`);

    const server = await startMetricsServer(0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      assert.equal(res.status, 200);
      const { samples, types } = parsePrometheus(await res.text());
      assert.equal(samples.find((s) => s.name === 'sitesweep_pages_audited_total')?.value, ok);
      assert.ok(types.has('process_resident_memory_bytes'));
      assert.ok(!types.has('sitesweep_runs'), 'database gauges are the API\'s, not the worker\'s');
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/other`)).status, 404);
    } finally {
      await server.close();
    }
  });
});
