// Prometheus metrics (prom-client).
//
// Two sources, kept apart on purpose:
// - `workerRegistry`: what only the worker process sees as it happens: pages audited, page failures by reason, the
//   audit latency per page and the persist latency per transaction. Counters live in the process that does the work;
//   a standalone worker serves them on METRICS_PORT (startMetricsServer), and Prometheus sums them over workers.
// - `createDbMetricsRegistry(db)`: gauges read from PostgreSQL on every scrape (runs by status, stored pages by
//   status, stored page failures by reason): the same numbers whichever process is scraped, so the API serves them.
// The API's GET /metrics serves the DB gauges + the process's default metrics + `workerRegistry` (zero unless a worker
// runs in the same process, as in `sitesweep stack` and the tests).
// - The Temporal SDK's own metrics (temporal_* : task slots, schedule-to-start latency, sticky cache, pollers) come from
//   Core's Prometheus exporter (src/temporal/runtime.ts) on a loopback port; both /metrics endpoints MERGE its text into
//   their answer, so a scrape of the worker (or of `sitesweep stack`) sees both without a second scrape target.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataSource } from 'typeorm';
import * as stats from './db/repositories/stats';

export const workerRegistry = new Registry();

export const pagesAuditedTotal = new Counter({
  name: 'sitesweep_pages_audited_total',
  help: 'Pages fetched and checked by the audit activity (failures are counted in sitesweep_page_failures_total)',
  registers: [workerRegistry],
});

export const pageFailuresTotal = new Counter({
  name: 'sitesweep_page_failures_total',
  help: 'Pages the audit activity recorded as failed, by failure reason',
  labelNames: ['reason'] as const,
  registers: [workerRegistry],
});

export const auditPageSeconds = new Histogram({
  name: 'sitesweep_audit_page_seconds',
  help: 'Time to audit one page (fetch with retries, parse, checks)',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [workerRegistry],
});

export const persistBatchSeconds = new Histogram({
  name: 'sitesweep_persist_batch_seconds',
  help: 'Time of one persist transaction (a chunk of persistBatchSize page records)',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [workerRegistry],
});

let sdkMetricsUrl: string | null = null;
/** Where this process's SDK runtime exports its Prometheus metrics (set when the runtime is installed). */
export function setSdkMetricsUrl(url: string | null): void {
  sdkMetricsUrl = url;
}

/** The SDK's Prometheus text, or '' when no runtime exporter runs in this process (or it does not answer in 2 s). */
export function sdkMetricsText(): Promise<string> {
  const url = sdkMetricsUrl;
  if (!url) return Promise.resolve('');
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2_000 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return resolve('');
      }
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', () => resolve(''));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(''));
  });
}

/** The app's registry text followed by the SDK's (distinct metric names: temporal_* vs sitesweep_* / process_*). */
export async function mergedMetricsText(registry: Registry): Promise<string> {
  const [own, sdk] = await Promise.all([registry.metrics(), sdkMetricsText()]);
  if (!sdk) return own;
  return `${own.endsWith('\n') ? own : `${own}\n`}${sdk}`;
}

let processRegistry: Registry | null = null;
/** Default Node process metrics (CPU, memory, event loop lag), collected once per process. */
export function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'];

/** Gauges computed from PostgreSQL when scraped. */
export function createDbMetricsRegistry(db: DataSource): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'sitesweep_runs',
    help: 'Audit runs by status (from audit_runs)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await stats.runsByStatus(db);
      this.reset();
      for (const s of RUN_STATUSES) this.set({ status: s }, 0);
      for (const r of rows) this.set({ status: r.status }, r.n);
    },
  });
  new Gauge({
    name: 'sitesweep_pages',
    help: 'Stored page audits by status (ok, failed) over all runs (from audit_runs counters)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const r = await stats.pageTotals(db);
      this.set({ status: 'ok' }, Number(r.ok));
      this.set({ status: 'failed' }, Number(r.failed));
    },
  });
  new Gauge({
    name: 'sitesweep_page_failures',
    help: 'Stored failed page audits by failure reason (from page_audits)',
    labelNames: ['reason'] as const,
    registers: [registry],
    async collect() {
      const rows = await stats.failedPagesByReason(db);
      this.reset();
      for (const r of rows) this.set({ reason: r.reason }, r.n);
    },
  });
  new Gauge({
    name: 'sitesweep_batches',
    help: 'Batches of domains by status (from audit_batches)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await stats.batchesByStatus(db);
      this.reset();
      for (const s of RUN_STATUSES) this.set({ status: s }, 0);
      for (const r of rows) this.set({ status: r.status }, r.n);
    },
  });
  return registry;
}

/** A worker's own /metrics endpoint (when METRICS_PORT is set): worker counters + process metrics. */
export async function startMetricsServer(port: number, host = '0.0.0.0'): Promise<{ port: number; close(): Promise<void> }> {
  const merged = Registry.merge([workerRegistry, processMetricsRegistry()]);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    mergedMetricsText(merged)
      .then((text) => res.writeHead(200, { 'content-type': merged.contentType }).end(text))
      .catch((err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
