// Batches of domains (one parent batchAuditWorkflow, one child site run per domain).
//
// GET /api/batches/:id **contract** (DESIGN.md): { batchId, status, totalDomains, completedDomains, failedDomains,
// progress, domainStatuses: {domain: {status, runId, pagesAudited, error}}, createdAt, updatedAt, startTime, endTime,
// processingTimeMs, error, metadata } — plus workflowId, webUiUrl, cancelledDomains. Keys of domainStatuses are the
// normalized site URLs. While the batch runs the state comes from the parent's `batchProgress` query (overlaying the
// row, which holds every finished domain); after it closed, from the audit_batches row alone.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import express from 'express';
import { normalizeUrl, siteHostOf } from '../audit/url';
import {
  DEFAULT_MAX_CONCURRENT_SITES,
  DEFAULT_POLICIES,
  batchAuditWorkflowId,
  batchChildWorkflowId,
  batchProgressQuery,
  type BatchAuditInput,
  type BatchAuditResult,
  type BatchProgressView,
  type DomainStatus,
} from '../workflows/contracts';
import type { Config } from '../config';
import * as batches from '../db/repositories/batches';
import type { BatchRow } from '../db/repositories/batches';
import { runsOfBatch } from '../db/repositories/runs';
import { completedResult, waitAtMost, workflowClose } from '../temporal/closedExecution';
import type { AppDeps } from './app';
import { DomainError, invalidInput } from '../errors';
import { notFound, parseOr400 } from './errors';
import { assertAllowedTargets, assertRenderAvailable, assertValidPatterns, LIST_CHECK_WAIT_MS, newRunKey, optionTargets, sealRunCredentials, webUiUrl } from './runService';
import { batchIdParamSchema, listBatchesQuerySchema, startBatchSchema } from './schemas';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LIVE = ['queued', 'running'];

/** Entries → normalized site URLs, one per host (a batch audits each site once); bad entries → 400 naming them. */
export function normalizeDomains(entries: string[]): { domains: string[]; duplicatesRemoved: number; entryIndex: number[] } {
  const domains: string[] = [];
  /** For each kept domain, the index of the entry it came from (refusals name `domains[i]` as submitted). */
  const entryIndex: number[] = [];
  const hosts = new Set<string>();
  entries.forEach((entry, i) => {
    const raw = entry.trim();
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}/`;
    const normalized = normalizeUrl(url);
    const host = normalized ? siteHostOf(normalized) : null;
    if (!normalized || !host) {
      const message = 'must be an http(s) URL or a host name';
      throw invalidInput(`domains[${i}]: ${message}`, [{ field: `domains[${i}]`, message }]);
    }
    if (hosts.has(host)) return;
    hosts.add(host);
    domains.push(normalized);
    entryIndex.push(i);
  });
  return { domains, duplicatesRemoved: entries.length - domains.length, entryIndex };
}

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

export interface BatchView {
  batchId: string;
  workflowId: string;
  status: string;
  totalDomains: number;
  completedDomains: number;
  failedDomains: number;
  cancelledDomains: number;
  progress: number;
  domainStatuses: Record<string, DomainStatus>;
  createdAt: string;
  updatedAt: string;
  startTime: string | null;
  endTime: string | null;
  processingTimeMs: number | null;
  error: string | null;
  metadata: Record<string, unknown>;
  webUiUrl: string;
}

export type BatchDeps = Pick<AppDeps, 'db' | 'client' | 'config'>;

/** The batch row by id or workflow id; 404 when there is none. */
export async function findBatchRow(db: BatchDeps['db'], id: string): Promise<BatchRow> {
  const row = UUID_RE.test(id) ? await batches.findBatchById(db, id) : await batches.findBatchByWorkflowId(db, id);
  if (!row) throw notFound(`batch ${id}`);
  return row;
}

/**
 * An open batch row whose workflow has closed (batch workflow ids are never reused) closes the way the workflow did:
 * a finished row with the status its result says, or cancelled or failed as its code ended it (its closer writes the
 * same), one terminated or timed out in Temporal failed with the reason. Returns the row as it is now.
 */
async function settledBatch<T extends Pick<BatchRow, 'id' | 'workflow_id' | 'status' | 'finished_at'>>(deps: Pick<BatchDeps, 'db' | 'client'>, row: T): Promise<T | BatchRow> {
  if (!LIVE.includes(row.status)) return row;
  const closed = await workflowClose(deps.client, row.workflow_id, 'only').catch(() => null);
  if (!closed) return row;
  if (closed.status !== 'completed') {
    await deps.db.transaction((tx) => batches.markBatchClosedOutside(tx, row.id, closed));
  } else {
    // Only a finished row completes here (its closer writes the same): its final status is the workflow's result.
    if (row.status !== 'running' || !row.finished_at) return row;
    const result = await completedResult<BatchAuditResult>(deps.client, row.workflow_id);
    if (!result) return row;
    await batches.markBatchFinal(deps.db, row.id, result.status);
  }
  return (await batches.findBatchById(deps.db, row.id)) ?? row;
}

/** A batch as GET /api/batches/:id shows it: live from the parent's query while it runs, the row after. */
export async function batchView(deps: BatchDeps, open: BatchRow): Promise<BatchView> {
  const { db, client, config } = deps;
  // A closed workflow still answers the query: whether it runs is asked first.
  let row = await settledBatch(deps, open);
  let live: BatchProgressView | null = null;
  if (LIVE.includes(row.status)) {
    try {
      live = await client.withDeadline(Date.now() + 3_000, () => client.workflow.getHandle(row.workflow_id).query(batchProgressQuery));
    } catch {
      // Not started yet (no worker), just closed, or the query timed out: the row is still accurate.
    }
  }
  if (live && !LIVE.includes(live.status)) {
    // The parent says final only after finishBatch has written its row (all but the status, which its closer writes
    // after the close): the row read before the query is older, so the view re-reads it, finish time included.
    row = (await batches.findBatchById(db, row.id)) ?? row;
    if (!LIVE.includes(row.status)) live = null;
  }
  const statuses: Record<string, DomainStatus> = { ...(row.domain_statuses ?? {}) };
  if (live) Object.assign(statuses, live.domainStatuses);
  // Domains in flight: their run id and live page count come from their audit_runs rows.
  if (Object.values(statuses).some((s) => LIVE.includes(s.status) || !s.runId)) {
    const runs = await runsOfBatch(db, row.id);
    const byWorkflow = new Map(runs.map((r) => [r.workflow_id, r]));
    for (const [domain, s] of Object.entries(statuses)) {
      const workflowId = s.workflowId || batchChildWorkflowId(siteHostOf(domain) ?? '', row.id);
      const run = byWorkflow.get(workflowId);
      if (!run) continue;
      statuses[domain] = {
        ...s,
        workflowId,
        runId: s.runId ?? run.id,
        pagesAudited: LIVE.includes(s.status) ? run.audited : s.pagesAudited,
        status: s.status === 'queued' && row.status === 'running' && LIVE.includes(run.status) ? 'running' : s.status,
      };
    }
  }
  const total = row.total_domains as number;
  const completed = live?.completedDomains ?? row.completed_domains;
  const failed = live?.failedDomains ?? row.failed_domains;
  const cancelled = live?.cancelledDomains ?? Object.values(statuses).filter((s) => s.status === 'cancelled').length;
  // A closed batch's status is the row's; while open, the parent's own view, except a final one: the row says it once
  // the workflow has closed (its closer), not before.
  const status = LIVE.includes(row.status) && live && LIVE.includes(live.status) ? live.status : row.status;
  const start = row.started_at ? new Date(row.started_at).getTime() : live ? Date.parse(live.startedAt) : null;
  const end = row.finished_at ? new Date(row.finished_at).getTime() : null;
  return {
    batchId: row.id,
    workflowId: row.workflow_id,
    status,
    totalDomains: total,
    completedDomains: completed,
    failedDomains: failed,
    cancelledDomains: cancelled,
    progress: LIVE.includes(status) ? (total === 0 ? 0 : Math.min(99, Math.floor(((completed + failed + cancelled) / total) * 100))) : 100,
    domainStatuses: statuses,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    startTime: start === null ? null : new Date(start).toISOString(),
    endTime: end === null ? null : new Date(end).toISOString(),
    processingTimeMs: start === null ? null : Math.max(0, (end ?? Date.now()) - start),
    error: row.error,
    metadata: row.metadata ?? {},
    webUiUrl: webUiUrl(config, row.workflow_id),
  };
}

export interface StartedBatch {
  batchId: string;
  workflowId: string;
  created: boolean;
  totalDomains: number;
  duplicatesRemoved: number;
  statusUrl: string;
  webUiUrl: string;
}

/**
 * Everything a batch request is judged on before anything is written: its shape, its domains (deduplicated), patterns,
 * rendering, and the same target policy as POST /api/runs for every domain and sitemap. `sitesweep batch` calls it
 * before it brings a stack up.
 */
export async function validateBatchRequest(config: Config, input0: unknown) {
  const body = parseOr400(startBatchSchema, input0);
  const { domains, duplicatesRemoved, entryIndex } = normalizeDomains(body.domains);
  assertValidPatterns(body.options);
  assertRenderAvailable(config, body.options);
  await assertAllowedTargets(config, [...domains.map((url, i) => ({ url, field: `domains[${entryIndex[i]}]` })), ...optionTargets(body.options)]);
  return { body, domains, duplicatesRemoved };
}

/** POST /api/batches and `sitesweep batch`: validate, write the row, start the parent workflow (idempotent by key). */
export async function startBatch(deps: BatchDeps, input0: unknown): Promise<StartedBatch> {
  const { db, client, config } = deps;
  const { body, domains, duplicatesRemoved } = await validateBatchRequest(config, input0);
  // Credentials (auth, headers, cookies) are sealed before they reach the row or the workflow history.
  const options = sealRunCredentials(body.options, config) ?? {};
  const key = body.idempotencyKey ?? newRunKey();
  const workflowId = batchAuditWorkflowId(key);
  const batchId = randomUUID();
  const maxConcurrentSites = body.maxConcurrentSites ?? DEFAULT_MAX_CONCURRENT_SITES;
  const statuses = Object.fromEntries(
    domains.map((d) => [d, { status: 'queued', runId: null, pagesAudited: 0, error: null, workflowId: batchChildWorkflowId(siteHostOf(d)!, batchId) }]),
  );
  const metadata = { ...body.metadata, maxConcurrentSites, submittedDomains: body.domains.length, duplicatesRemoved };
  // The row exists before the workflow does, so GET answers at once; the same idempotencyKey finds the same row.
  let created = await batches.insertQueuedBatch(db, {
    id: batchId, workflowId, idempotencyKey: body.idempotencyKey ?? null, domains, domainStatuses: statuses, options, metadata,
  });
  // Whatever this request said, an existing batch runs with what its row holds.
  const row = await findBatchRow(db, workflowId);
  const input: BatchAuditInput = {
    batchId: row.id,
    domains: row.domains,
    options: row.options,
    policies: { ...DEFAULT_POLICIES, ...config.policies },
    maxConcurrentSites: row.metadata?.maxConcurrentSites ?? DEFAULT_MAX_CONCURRENT_SITES,
  };
  try {
    await client.workflow.start('batchAuditWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `SEO audit of ${input.domains.length} domains`,
      staticDetails: `at most ${input.maxConcurrentSites} sites at once; batch ${row.id}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
      if (created) await batches.deleteQueuedBatch(db, row.id);
      throw err;
    }
    created = false;
  }
  return {
    batchId: row.id,
    workflowId,
    created,
    totalDomains: row.total_domains,
    duplicatesRemoved,
    statusUrl: `/api/batches/${row.id}`,
    webUiUrl: webUiUrl(config, workflowId),
  };
}

export function createBatchRouter(deps: AppDeps): express.Router {
  const { db, client, config, log } = deps;
  const router = express.Router();

  router.post('/api/batches', async (req, res) => {
    const started = await startBatch(deps, req.body ?? {});
    log.info({ batchId: started.batchId, workflowId: started.workflowId, domains: started.totalDomains, created: started.created }, 'batch requested');
    res.status(started.created ? 202 : 200).json(started);
  });

  router.get('/api/batches', async (req, res) => {
    const q = parseOr400(listBatchesQuerySchema, req.query);
    // Open batches are few: each is checked against its workflow before the list shows it (briefly: see waitAtMost).
    const open = [...(await batches.listBatches(db, { status: 'queued', limit: 20 })), ...(await batches.listBatches(db, { status: 'running', limit: 20 }))];
    await waitAtMost(Promise.all(open.map((b) => settledBatch(deps, b))), LIST_CHECK_WAIT_MS);
    const rows = await batches.listBatches(db, { status: q.status, limit: q.limit });
    res.json({
      items: rows.map((r) => ({
        batchId: r.id,
        workflowId: r.workflow_id,
        status: r.status,
        totalDomains: r.total_domains,
        completedDomains: r.completed_domains,
        failedDomains: r.failed_domains,
        progress: LIVE.includes(r.status) ? (r.total_domains ? Math.floor(((r.completed_domains + r.failed_domains) / r.total_domains) * 100) : 0) : 100,
        error: r.error,
        createdAt: iso(r.created_at),
        startTime: iso(r.started_at),
        endTime: iso(r.finished_at),
        statusUrl: `/api/batches/${r.id}`,
        webUiUrl: webUiUrl(config, r.workflow_id),
      })),
    });
  });

  router.get('/api/batches/:id', async (req, res) => {
    const { id } = parseOr400(batchIdParamSchema, req.params);
    res.json(await batchView(deps, await findBatchRow(db, id)));
  });

  router.post('/api/batches/:id/cancel', async (req, res) => {
    const { id } = parseOr400(batchIdParamSchema, req.params);
    const row = await settledBatch(deps, await findBatchRow(db, id));
    if (!LIVE.includes(row.status)) throw new DomainError('conflict', 'not_running', `batch is ${row.status}`);
    try {
      await client.workflow.getHandle(row.workflow_id).cancel();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // The workflow never started: nothing runs, so the row alone is cancelled.
      await batches.markUnstartedCancelled(db, row.id);
    }
    res.status(202).json({ batchId: row.id, workflowId: row.workflow_id, status: 'cancelling' });
  });

  return router;
}
