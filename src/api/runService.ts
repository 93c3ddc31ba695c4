// Starting and reading site runs: shared by the HTTP API and the CLI, so both behave the same.
import { randomBytes } from 'node:crypto';
import dns from 'node:dns';
import { isIP } from 'node:net';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { progressAsOf } from '../audit/progress';
import { compilePatterns, InvalidPatternError } from '../audit/scope';
import { normalizeUrl, siteHostOf } from '../audit/url';
import type { Config } from '../config';
import { MissingSecretsKeyError, sealOptionCredentials, type RunCredentials } from '../crawl/credentials';
import { chromiumAvailable } from '../crawl/render';
import { waitAtMost, workflowClose } from '../temporal/closedExecution';
import { blockedTargetAdvice, isTargetAllowed } from '../crawl/ssrfGuard';
import * as aiJobs from '../db/repositories/aiJobs';
import * as runStatus from '../db/runStatusStore';
import * as runs from '../db/repositories/runs';
import type { RunRow } from '../db/repositories/runs';
import {
  DEFAULT_POLICIES,
  progressQuery,
  resolveOptions,
  siteAuditWorkflowId,
  type AuditStage,
  type ProgressView,
  type SiteAuditInput,
} from '../workflows/contracts';
import { AuditStageKey, SiteHostKey } from '../workflows/searchAttributes';
import { DomainError, invalidInput } from '../errors';
import { databaseUnavailable, isDatabaseUnavailable, notFound } from './errors';
import type { ListRunsQuery, StartRunBody } from './schemas';

export interface RunServiceDeps {
  db: DataSource;
  client: Client;
  config: Config;
}

export interface StartedRun {
  runId: string;
  workflowId: string;
  runKey: string;
  created: boolean;
  status: string;
  statusUrl: string;
  webUiUrl: string;
}

export function webUiUrl(config: Config, workflowId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** How long the up-front check waits for DNS, for all of a request's host names together. */
export const TARGET_LOOKUP_DEADLINE_MS = 5_000;
/** Host names looked up at once (node resolves them on its small libuv thread pool). */
const LOOKUPS_AT_ONCE = 16;

type Lookup = (hostname: string) => Promise<string[]>;
const systemLookup: Lookup = async (hostname) => (await dns.promises.lookup(hostname, { all: true })).map((a) => a.address);

/**
 * The API side of the one target policy (src/crawl/ssrfGuard.ts, TargetPolicy): refuse, before anything is written,
 * a URL whose host is or resolves to an address the policy refuses (loopback unless ALLOW_PRIVATE_TARGETS, other
 * private ranges unless TARGET_ALLOWLIST names them, link-local/metadata only by an explicit CIDR). Used for the run's
 * URL, every batch domain and every options.sitemaps URL. The worker's connect-time guard is the real enforcement
 * (redirects, DNS answers that change); this turns the obvious case into a 403 up front. A name that does not resolve
 * by `deadline` is let through: the crawl records it as a `dns` failure (or its guard refuses it then).
 */
export async function assertAllowedTarget(
  config: Config, url: string, field = 'url', deadline = Date.now() + TARGET_LOOKUP_DEADLINE_MS, lookup: Lookup = systemLookup,
): Promise<void> {
  const policy = { allowPrivateTargets: config.crawl.allowPrivateTargets, allowlist: config.crawl.targetAllowlist };
  const hostname = hostnameOf(url);
  let addresses: string[];
  if (isIP(hostname) !== 0) {
    addresses = [hostname];
  } else {
    const wait = deadline - Date.now();
    if (wait <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      addresses = await Promise.race([
        lookup(hostname),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('lookup timed out')), wait);
        }),
      ]);
    } catch {
      return;
    } finally {
      clearTimeout(timer);
    }
  }
  const bad = addresses.find((a) => !isTargetAllowed(hostname, a, policy));
  if (bad === undefined) return;
  const what = bad === hostname ? hostname : `${hostname} (resolves to ${bad})`;
  const message = `target ${what} is a private/blocked address (loopback, private, link-local, unique-local or metadata); ${blockedTargetAdvice(bad)}`;
  throw new DomainError('forbidden', 'blocked_target', `${field}: ${message}`, [{ field, message }]);
}

function hostnameOf(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '');
}

/**
 * Every URL of a request through the target policy: each host name once (the first field naming it is the one a
 * refusal names), a few lookups at a time, all within one deadline. Per lookup, 16 at a time, a DNS server that
 * dropped queries held a request 5 s per 16 names: a batch naming one unresolvable host in 19 sitemap URLs answered
 * after 10 s (the fuzzer's response time limit).
 */
export async function assertAllowedTargets(config: Config, targets: Array<{ url: string; field: string }>, lookup: Lookup = systemLookup): Promise<void> {
  const firstPerHost = new Map<string, { url: string; field: string }>();
  for (const t of targets) {
    const host = hostnameOf(t.url);
    if (!firstPerHost.has(host)) firstPerHost.set(host, t);
  }
  const unique = [...firstPerHost.values()];
  const deadline = Date.now() + TARGET_LOOKUP_DEADLINE_MS;
  for (let i = 0; i < unique.length; i += LOOKUPS_AT_ONCE) {
    await Promise.all(unique.slice(i, i + LOOKUPS_AT_ONCE).map((t) => assertAllowedTarget(config, t.url, t.field, deadline, lookup)));
  }
}

/** The run options' URLs that enter the crawl besides the site itself. */
export function optionTargets(options: { sitemaps?: string[] } | undefined): Array<{ url: string; field: string }> {
  return (options?.sitemaps ?? []).map((url, i) => ({ url, field: `options.sitemaps[${i}]` }));
}

// C0/C1 controls, zero-width and bidi formatting characters, BOM.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The include/exclude regexes of run options compile, or a 400 names the bad one. */
export function assertValidPatterns(options: { include?: string[]; exclude?: string[] } | undefined): void {
  for (const field of ['include', 'exclude'] as const) {
    try {
      compilePatterns(options?.[field]);
      // The description says `format: regex` (ECMA-262 as JSON Schema reads it, i.e. with Unicode semantics): refuse
      // what only the lax legacy syntax accepts (a stray `]` or `{`, identity escapes), so a client validating against
      // the description and the API agree.
      (options?.[field] ?? []).forEach((p, i) => {
        try {
          new RegExp(p, 'u');
        } catch (err) {
          const message = `is not a valid regular expression (${(err as Error).message})`;
          throw invalidInput(`options.${field}[${i}]: ${message}`, [{ field: `options.${field}[${i}]`, message }]);
        }
      });
    } catch (err) {
      if (err instanceof DomainError) throw err;
      if (err instanceof InvalidPatternError) throw invalidInput(`options.${field}: ${err.message}`, [{ field: `options.${field}`, message: err.message }]);
      throw err;
    }
  }
}

/**
 * render: "chromium" needs a Chromium at CHROMIUM_PATH: a 400 that says so, before anything starts (the API and the
 * workers share one image / config, so its absence here means the workers lack it too).
 */
export function assertRenderAvailable(config: Config, options: { render?: string } | undefined): void {
  if (options?.render !== 'chromium' || chromiumAvailable(config.render.chromiumPath)) return;
  const message = `chromium rendering was requested but no Chromium executable was found at ${config.render.chromiumPath} (install chromium or set CHROMIUM_PATH)`;
  throw new DomainError('invalid', 'render_unavailable', `options.render: ${message}`, [{ field: 'options.render', message }]);
}

/** A fresh run (or batch) key when the client gives no idempotencyKey: time-ordered, with random bits. */
export function newRunKey(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** How long a rerun waits for the previous execution of a closed run to close (it closes right after the row says so). */
const PREVIOUS_EXECUTION_CLOSE_WAIT_MS = 10_000;

/**
 * A rerun of a closed run: the row says closed from the moment the workflow's last activity writes it, a moment before
 * the execution itself closes. A start in that moment (USE_EXISTING) handed back the closing execution, the rerun
 * requeued the row behind it, and the row stayed queued for good (a flaky e2e test found it on a busy host). So wait
 * for that execution to close. Returns its run id if it is still open after the wait (then nothing new starts and
 * the row is left as it is), null otherwise.
 */
async function untilPreviousExecutionCloses({ db, client }: RunServiceDeps, workflowId: string): Promise<string | null> {
  const row = await runs.runIdAndStatus(db, workflowId);
  if (!row || !['completed', 'failed', 'cancelled'].includes(row.status)) return null;
  const handle = client.workflow.getHandle(workflowId);
  const open = await handle.describe().then((d) => (d.status.name === 'RUNNING' ? d.runId : null), () => null);
  if (open === null) return null;
  const closed = await Promise.race([
    handle.result().then(() => true, () => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), PREVIOUS_EXECUTION_CLOSE_WAIT_MS).unref()),
  ]);
  return closed ? null : open;
}

/**
 * Everything a run request is judged on before anything is written: its strings, its URL, its patterns, rendering,
 * and the target policy for every URL it names. `sitesweep audit` calls it before it brings a stack up.
 */
export async function validateRunRequest(config: Config, body: StartRunBody): Promise<{ siteUrl: string; host: string }> {
  // Strings that go on the wire or into the UI must not hide anything: no control characters (NUL, CR/LF header
  // injection), no invisible formatting / bidi-override characters (U+202E spoofing), no lone surrogates.
  for (const [field, value] of [['url', body.url], ['options.userAgent', body.options?.userAgent]] as const) {
    if (typeof value === 'string' && (UNSAFE_CHARS.test(value) || LONE_SURROGATE.test(value))) {
      const message = 'must not contain control, invisible or bidirectional-override characters';
      throw invalidInput(`${field}: ${message}`, [{ field, message }]);
    }
  }
  const siteUrl = normalizeUrl(body.url);
  const host = siteUrl ? siteHostOf(siteUrl) : null;
  if (!siteUrl || !host) throw invalidInput('url: must be an absolute http(s) URL', [{ field: 'url', message: 'must be an absolute http(s) URL' }]);
  assertValidPatterns(body.options);
  assertRenderAvailable(config, body.options);
  await assertAllowedTargets(config, [{ url: siteUrl, field: 'url' }, ...optionTargets(body.options)]);
  return { siteUrl, host };
}

/**
 * Seals auth/headers/cookies of run options (see src/crawl/credentials.ts) before they reach a row or a workflow's
 * history; without SECRETS_KEY a request that carries them is refused. Every way a run starts goes through here
 * (the API, `sitesweep audit`, batches), so no caller can forget it.
 */
export function sealRunCredentials<T extends RunCredentials>(options: T | undefined, config: Config) {
  try {
    return sealOptionCredentials(options, config.crawl.secretsKey);
  } catch (err) {
    if (err instanceof MissingSecretsKeyError) throw invalidInput(`options: ${err.message}`, [{ field: 'options', message: err.message }]);
    throw err;
  }
}

export async function startSiteRun(deps: RunServiceDeps, body: StartRunBody & { batchId?: string }): Promise<StartedRun> {
  const { db, client, config } = deps;
  const { siteUrl, host } = await validateRunRequest(config, body);
  const runKey = body.idempotencyKey ?? newRunKey();
  const workflowId = siteAuditWorkflowId(host, runKey);
  const options = resolveOptions({ siteUrl, ...sealRunCredentials(body.options, config) });
  const input: SiteAuditInput = { siteUrl, runKey, ...options, policies: { ...DEFAULT_POLICIES, ...config.policies }, batchId: body.batchId };

  // The row exists before the workflow does, so GET /api/runs/:id answers at once, even with no worker polling.
  let created = (await runStatus.insertQueued(db, { workflowId, runKey, siteUrl, siteHost: host, options, batchId: body.batchId })) !== null;
  const closing = body.rerun && !created ? await untilPreviousExecutionCloses(deps, workflowId) : null;
  try {
    const handle = await client.workflow.start('siteAuditWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      // A double submit while running returns the running one; after it closed, only an explicit rerun starts again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: body.rerun ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: SiteHostKey, value: host },
        { key: AuditStageKey, value: 'queued' },
      ],
      staticSummary: `SEO audit of ${siteUrl}`,
      staticDetails: `maxPages ${options.maxPages}, maxDepth ${options.maxDepth}, ${options.parallelBatches}×${options.auditBatchSize} pages in flight`,
    });
    if (body.rerun && !created && handle.firstExecutionRunId !== closing) {
      await runStatus.requeueClosed(db, workflowId);
      created = true;
    }
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
      // Nothing half-written: a run row whose workflow never started is removed again.
      if (created) await runStatus.deleteQueued(db, workflowId);
      throw err;
    }
    created = false;
  }
  const row = (await runs.runIdAndStatus(db, workflowId))!;
  rememberWorkflowId(row.id, workflowId);
  return {
    runId: row.id,
    workflowId,
    runKey,
    created,
    status: row.status,
    statusUrl: `/api/runs/${row.id}`,
    webUiUrl: webUiUrl(config, workflowId),
  };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * run id → workflow id of runs this process has seen (bounded, oldest first out), so GET /api/runs/:id can still find
 * a running run's workflow — and its live progress — while PostgreSQL is unreachable.
 */
const workflowIds = new Map<string, string>();
const WORKFLOW_ID_CACHE_SIZE = 10_000;
function rememberWorkflowId(runId: string, workflowId: string): void {
  workflowIds.delete(runId);
  workflowIds.set(runId, workflowId);
  if (workflowIds.size > WORKFLOW_ID_CACHE_SIZE) workflowIds.delete(workflowIds.keys().next().value!);
}

export async function findRunRow(db: DataSource, id: string): Promise<RunRow> {
  const row = UUID_RE.test(id) ? await runs.findRunById(db, id) : await runs.findRunByWorkflowId(db, id);
  if (!row) throw notFound(`run ${id}`);
  rememberWorkflowId(row.id, row.workflow_id);
  return row;
}

async function workflowPollers(deps: RunServiceDeps): Promise<number | null> {
  try {
    const res = await deps.client.workflowService.describeTaskQueue({
      namespace: deps.config.temporal.namespace,
      taskQueue: { name: deps.config.temporal.taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    return res.pollers?.length ?? 0;
  } catch {
    return null;
  }
}

export interface RunView {
  runId: string;
  workflowId: string;
  runKey: string;
  siteUrl: string | null;
  siteHost: string | null;
  status: string;
  stage: AuditStage | 'waiting_for_worker';
  waitingForWorker: boolean;
  progress: ProgressView | null;
  counters: { discovered: number; audited: number; failed: number; persisted: number };
  summary: unknown;
  error: string | null;
  options: unknown;
  batchId: string | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  webUiUrl: string;
  /** The run's newest AI recommendations job (GET /api/runs/:id/recommendations reads it), null when it has none. */
  recommendations: { jobId: string; status: string } | null;
  /** Set only when PostgreSQL is unreachable and the view comes from the workflow's progress query alone. */
  database?: 'unreachable';
  note?: string;
}

/**
 * The database is down: a running run still answers from its workflow's progress query (the row's fields it cannot
 * know are null, and `note` says why); anything else is a 503 with Retry-After.
 */
async function liveRunViewWithoutDatabase(deps: RunServiceDeps, id: string): Promise<RunView> {
  const workflowId = UUID_RE.test(id) ? workflowIds.get(id) : id;
  if (!workflowId) throw databaseUnavailable();
  const handle = deps.client.workflow.getHandle(workflowId);
  let progress: ProgressView;
  let status: string;
  try {
    [progress, status] = await deps.client.withDeadline(Date.now() + 3_000, async () => {
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') throw new Error(`workflow is ${d.status.name}`);
      return [await handle.query(progressQuery), 'running'] as const;
    });
  } catch {
    throw databaseUnavailable();
  }
  const m = /^site-audit:(.+):([^:]+)$/.exec(workflowId);
  return {
    runId: progress.runId ?? id,
    workflowId,
    runKey: m?.[2] ?? '',
    siteUrl: null,
    siteHost: m?.[1] ?? null,
    status,
    stage: progress.stage,
    waitingForWorker: false,
    progress,
    counters: { discovered: progress.discovered, audited: progress.audited, failed: progress.failed, persisted: progress.persisted },
    summary: null,
    error: null,
    options: null,
    batchId: null,
    createdAt: null,
    startedAt: progress.startedAt,
    finishedAt: null,
    webUiUrl: webUiUrl(deps.config, workflowId),
    recommendations: null,
    database: 'unreachable',
    note: 'The database is unreachable: live progress from the running workflow; stored fields (siteUrl, options, summary) are unavailable until it is back',
  };
}

/** A run as the API shows it: live progress from the workflow query while it runs, the database after. */
export async function getRunView(deps: RunServiceDeps, id: string): Promise<RunView> {
  let row: RunRow;
  try {
    row = await findRunRow(deps.db, id);
  } catch (err) {
    if (isDatabaseUnavailable(err)) return liveRunViewWithoutDatabase(deps, id);
    throw err;
  }
  let progress: ProgressView | null = null;
  let waitingForWorker = false;
  let live = row.status === 'queued' || row.status === 'running';
  if (live) {
    const pollers = await workflowPollers(deps);
    // Temporal answers: a running row's workflow may have closed without saying so (terminated from the Temporal CLI or
    // Web UI). A closed workflow still answers the progress query, so its status is asked, not inferred.
    const settled = pollers !== null ? await settledRow(deps, row) : row;
    if (settled !== row) {
      [row, live] = [settled, false];
    } else if (pollers === 0) {
      waitingForWorker = true;
    } else {
      try {
        progress = await deps.client.withDeadline(Date.now() + 3_000, () =>
          deps.client.workflow.getHandle(row.workflow_id).query(progressQuery),
        );
      } catch {
        // Not started yet, just closed, or the query timed out: the row below is still accurate.
      }
      // Counters the activities have written since the last workflow task; time-based figures as of now.
      if (progress) progress = progressAsOf(progress, row, Date.now());
    }
  }
  // A job needs a completed run (POST …/recommendations answers 409 before that): a live run is not looked up.
  const job = live ? undefined : await aiJobs.latestAiJobOfRun(deps.db, row.id);
  return {
    runId: row.id,
    workflowId: row.workflow_id,
    runKey: row.run_key,
    siteUrl: row.site_url,
    siteHost: row.site_host,
    status: row.status,
    stage: waitingForWorker ? 'waiting_for_worker' : (progress?.stage ?? row.stage),
    waitingForWorker,
    progress,
    counters: progress
      ? { discovered: progress.discovered, audited: progress.audited, failed: progress.failed, persisted: progress.persisted }
      : { discovered: row.discovered, audited: row.audited, failed: row.failed, persisted: row.persisted },
    summary: row.summary,
    error: row.error,
    options: row.options,
    batchId: row.batch_id,
    createdAt: new Date(row.created_at).toISOString(),
    startedAt: row.started_at ? new Date(row.started_at).toISOString() : null,
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
    webUiUrl: webUiUrl(deps.config, row.workflow_id),
    recommendations: job ? { jobId: job.id, status: job.status } : null,
  };
}

/**
 * An open (queued or running) row whose workflow has closed ends the way it closed: completed when it was summarized
 * and its workflow completed, failed or cancelled when its workflow ended it so (its closer writes both too, but may
 * not have yet), failed when it was terminated or timed out in Temporal. Returns the row as it is now: the same object
 * when nothing changed.
 */
async function settledRow(deps: Pick<RunServiceDeps, 'db' | 'client'>, row: RunRow): Promise<RunRow> {
  if (row.status !== 'queued' && row.status !== 'running') return row;
  if (row.status === 'running' && !row.execution_id) return row;
  // A running row mirrors the execution it names; a queued one (no worker yet, say) the one started after it was
  // (re)queued.
  const want = row.status === 'running'
    ? row.execution_id!
    : { startedAfter: new Date(new Date(row.updated_at).getTime() - QUEUED_CLOCK_SKEW_MS), notChain: row.execution_id };
  const closed = await workflowClose(deps.client, row.workflow_id, want).catch(() => null);
  if (!closed) return row;
  if (closed.status === 'completed') {
    // Only a summarized row completes here; any other completed workflow wrote its row itself.
    if (row.status !== 'running' || row.summary === null) return row;
    await runStatus.markCompleted(deps.db, row.id, row.execution_id);
  } else {
    await runStatus.markClosedOutside(deps.db, row.id, { status: row.status, executionId: row.execution_id }, closed);
  }
  return (await runs.findRunById(deps.db, row.id)) ?? row;
}

/** The database's and Temporal's clocks may differ by this much when a queued row is matched to its execution. */
const QUEUED_CLOCK_SKEW_MS = 5_000;

/** Open rows not written for this long are asked about before a list shows them (a crawl writes every batch). */
const QUIET_OPEN_MS = 15_000;
/** At most this many per list request, oldest first. */
const QUIET_OPEN_CHECKED = 20;
/** How long a list waits for that check before it answers from the rows as they are. */
export const LIST_CHECK_WAIT_MS = 500;

/**
 * Open (queued or running) rows that have gone quiet, and ended ones (summarized, failed, cancelled), checked against
 * their workflows: the ones closed end the way they closed. Before a list, and every minute in the API server.
 */
export async function settleQuietRuns(deps: Pick<RunServiceDeps, 'db' | 'client'>): Promise<void> {
  const quiet = await runs.quietOpenRuns(deps.db, QUIET_OPEN_MS, QUIET_OPEN_CHECKED);
  await Promise.all(quiet.map((r) => settledRow(deps, r)));
}

/**
 * GET /api/runs and `sitesweep runs`: newest first, filtered by status and site host. With a Temporal client (the
 * API, and `sitesweep runs` with a configured Temporal), quiet open rows are first checked against their workflows.
 */
export async function listRuns(deps: Pick<RunServiceDeps, 'db' | 'config'> & { client?: Client }, q: ListRunsQuery) {
  if (deps.client) await waitAtMost(settleQuietRuns({ db: deps.db, client: deps.client }), LIST_CHECK_WAIT_MS);
  const rows = await runs.listRuns(deps.db, { status: q.status, siteHost: q.site, limit: q.limit });
  return {
    items: rows.map((r) => ({
      runId: r.id, workflowId: r.workflow_id, siteUrl: r.site_url, status: r.status as string, stage: r.stage as string, error: r.error,
      counters: { discovered: r.discovered, audited: r.audited, failed: r.failed },
      createdAt: r.created_at, finishedAt: r.finished_at, webUiUrl: webUiUrl(deps.config, r.workflow_id),
    })),
  };
}

/** POST /api/runs/:id/cancel and `sitesweep cancel`: Temporal's own cancellation; 409 when the run is not running. */
export async function cancelRun(deps: RunServiceDeps, id: string) {
  const run = await settledRow(deps, await findRunRow(deps.db, id));
  if (!['queued', 'running'].includes(run.status)) throw new DomainError('conflict', 'not_running', `run is ${run.status}`);
  await deps.client.workflow.getHandle(run.workflow_id).cancel();
  return { runId: run.id, workflowId: run.workflow_id, status: 'cancelling' as const };
}
