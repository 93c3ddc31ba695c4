// Job metrics from the database (GET /api/metrics) and Prometheus text (GET /metrics, outside /api so a scraper needs
// no API token). A "job" is a site run: one audit_runs row (runs of a batch count one each).
import express from 'express';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import * as stats from '../db/repositories/stats';
import { createDbMetricsRegistry, mergedMetricsText, processMetricsRegistry, workerRegistry } from '../metrics';
import type { AppDeps } from './app';

export interface JobMetrics {
  /** Every run ever requested (audit_runs rows). */
  totalJobs: number;
  /** Requested, not yet picked up by a worker (status queued). */
  queuedJobs: number;
  /** Running now (status running: discovering, auditing or summarizing). */
  processingJobs: number;
  completedJobs: number;
  failedJobs: number;
  cancelledJobs: number;
  /** Pages finished (audited or recorded as failed) in the last 60 minutes, per minute: count / 60. */
  throughputPerMinute: number;
  /**
   * Failed pages / all pages, over runs that finished (completed, failed or cancelled): the share of URLs a finished
   * run could not audit. Page-level rather than run-level because one unreachable URL in 10,000 should not make a run
   * count as an error, while a site whose every page fails shows up at once. 0 when no finished run has pages.
   */
  errorRate: number;
  /** Mean of finished_at − started_at over completed runs, in ms (0 when none). */
  averageProcessingTime: number;
  /** When these numbers were read. */
  at: string;
}

export async function computeJobMetrics(db: DataSource): Promise<JobMetrics> {
  const r = await stats.jobTotals(db);
  const lastHour = await stats.pagesAuditedLastHour(db);
  const pages = Number(r.finished_pages);
  return {
    totalJobs: r.total,
    queuedJobs: r.queued,
    processingJobs: r.running,
    completedJobs: r.completed,
    failedJobs: r.failed,
    cancelledJobs: r.cancelled,
    throughputPerMinute: Math.round((lastHour / 60) * 100) / 100,
    errorRate: pages === 0 ? 0 : Math.round((Number(r.finished_failed_pages) / pages) * 10_000) / 10_000,
    averageProcessingTime: Math.round(Number(r.avg_ms)),
    at: new Date().toISOString(),
  };
}

export function createMetricsRouter(deps: Pick<AppDeps, 'db'>): express.Router {
  const router = express.Router();
  // DB gauges + this process's default metrics + the worker counters (non-zero when a worker runs in this process).
  const registry = Registry.merge([createDbMetricsRegistry(deps.db), processMetricsRegistry(), workerRegistry]);

  router.get('/api/metrics', async (_req, res) => {
    res.json(await computeJobMetrics(deps.db));
  });

  router.get('/metrics', async (_req, res) => {
    const text = await mergedMetricsText(registry);
    res.type(registry.contentType).send(text);
  });
  return router;
}
