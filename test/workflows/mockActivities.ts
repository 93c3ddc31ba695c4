// Workflow tests with mocked activities: the real siteAuditWorkflow (the prebuilt bundle) on a real Temporal server,
// and activities that are plain functions over an in-memory frontier. No PostgreSQL, no HTTP: a run takes well under
// a second, so the workflow's own rules (lanes, termination, pause, failed batches, continue-as-new, cancellation)
// are tested directly.
import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { ConfirmRunClosedInput, CrawlBatchInput, CrawlBatchResult, FailClaimInput, SetStageInput } from '../../src/activities/types';
import type { StagedRow } from '../../src/db/runStatusStore';
import type { RunSummary, SiteAuditInput } from '../../src/workflows/contracts';

export const SITE = 'https://mock.example';

/**
 * A site as a link graph (path → paths it links to) and a frontier like the real one: a claim token always gets the
 * same URLs back (a retry re-claims them), each URL is enqueued once.
 */
export class FakeFrontier {
  readonly pending: string[] = [];
  readonly seen = new Set<string>();
  readonly claims = new Map<string, string[]>();
  readonly audited: string[] = [];
  readonly failed = new Map<string, string>();
  /** URLs deferred (an open circuit): claimable only after a claim has reported them as waiting (value: reported). */
  readonly deferred = new Map<string, boolean>();
  constructor(private readonly graph: Record<string, string[]>, start = ['/']) {
    this.enqueue(start);
  }
  enqueue(paths: string[]): number {
    let n = 0;
    for (const p of paths) {
      if (this.seen.has(p)) continue;
      this.seen.add(p);
      this.pending.push(p);
      n++;
    }
    return n;
  }
  /** Queue `path` as deferred, as the real frontier does for a host whose circuit is open. */
  defer(path: string): void {
    this.seen.add(path);
    this.deferred.set(path, false);
  }
  /** With nothing claimable: how long until a deferred URL may be claimed (null: none waits). */
  retryInMs(): number | null {
    if (this.deferred.size === 0) return null;
    for (const u of this.deferred.keys()) this.deferred.set(u, true);
    return 100;
  }
  claim(token: string, size: number): string[] {
    // Deferred URLs come back once a lane has been told to wait for them: no clock, so no race with the test.
    for (const [u, reported] of this.deferred) {
      if (reported) {
        this.deferred.delete(u);
        this.pending.push(u);
      }
    }
    let urls = this.claims.get(token);
    if (!urls) {
      urls = this.pending.splice(0, size);
      this.claims.set(token, urls);
    }
    return urls.filter((u) => !this.isDone(u));
  }
  isDone(u: string): boolean {
    return this.audited.includes(u) || this.failed.has(u);
  }
  result(claimed: number, enqueued: number): CrawlBatchResult {
    const reasons: Record<string, number> = {};
    for (const r of this.failed.values()) reasons[r] = (reasons[r] ?? 0) + 1;
    const done = this.audited.length + this.failed.size;
    return {
      claimed,
      deferred: 0,
      enqueued,
      retryInMs: claimed === 0 ? this.retryInMs() : null,
      counters: { discovered: this.seen.size, audited: this.audited.length, failed: this.failed.size, persisted: done },
      failReasons: reasons,
    };
  }
}

export interface Calls {
  crawl: Array<{ token: string; attempt: number; workflowRunId: string }>;
  failClaim: FailClaimInput[];
  stages: SetStageInput['stage'][];
  summarize: number;
  events: string[];
  /** The run closer's activity: the run it was asked to confirm. */
  closed: ConfirmRunClosedInput[];
}

export interface MockHooks {
  /** Runs inside crawlBatch after the claim, before the batch is audited: block, throw, or look at the state. */
  onCrawl?: (input: CrawlBatchInput, urls: string[], attempt: number) => Promise<void> | void;
}

/** The activities siteAuditWorkflow (and the event child it starts) calls, over `frontier`, recording every call. */
export function mockActivities(frontier: FakeFrontier, graph: Record<string, string[]>, hooks: MockHooks = {}) {
  const calls: Calls = { crawl: [], failClaim: [], stages: [], summarize: 0, events: [], closed: [] };
  const activities = {
    async initRun(): Promise<string> {
      return 'run-1';
    },
    async setStage(input: SetStageInput): Promise<StagedRow | null> {
      calls.stages.push(input.stage);
      return null;
    },
    async discover() {
      return { discovered: frontier.seen.size, robotsStatus: 404, sitemapsFetched: 0, sitemapUrls: 0 };
    },
    async crawlBatch(input: CrawlBatchInput): Promise<CrawlBatchResult> {
      const info = Context.current().info;
      calls.crawl.push({ token: input.claimToken, attempt: info.attempt, workflowRunId: info.workflowExecution?.runId ?? '' });
      const urls = frontier.claim(input.claimToken, input.options.auditBatchSize);
      await hooks.onCrawl?.(input, urls, info.attempt);
      let enqueued = 0;
      for (const u of urls) {
        enqueued += frontier.enqueue(graph[u] ?? []);
        frontier.audited.push(u);
      }
      return frontier.result(urls.length, enqueued);
    },
    async failClaim(input: FailClaimInput): Promise<CrawlBatchResult> {
      calls.failClaim.push(input);
      const urls = frontier.claim(input.claimToken, 0);
      for (const u of urls) frontier.failed.set(u, input.reason);
      return frontier.result(urls.length, 0);
    },
    async checkExternalLinks(): Promise<void> {},
    async checkImageSizes(): Promise<void> {},
    async summarize(): Promise<RunSummary> {
      calls.summarize++;
      const r = frontier.result(0, 0);
      const total = r.counters.audited + r.counters.failed;
      return {
        pagesAudited: r.counters.audited,
        pagesFailed: r.counters.failed,
        successRate: total ? r.counters.audited / total : 1,
        durationMs: 1,
        topFailReasons: Object.entries(r.failReasons).map(([reason, count]) => ({ reason, count })),
        issuesByCode: {},
        siteIssues: [],
        siteIssuesByCode: {},
        siteIssuesTotal: 0,
        statusCodes: {},
      };
    },
    // The run closer's child workflow.
    async confirmRunClosed(input: ConfirmRunClosedInput) {
      calls.closed.push(input);
      return 'completed';
    },
    // The run.completed / run.failed event's child workflow.
    async deliverEvent(event: { type: string }) {
      calls.events.push(event.type);
      return { delivered: true };
    },
    async reportFailureEvent(): Promise<void> {},
  };
  return { activities, calls };
}

let runtimeInstalled = false;

export interface MockWorkerEnv {
  client: Client;
  taskQueue: string;
  /** Starts siteAuditWorkflow with small batches and fast retries (overridable). */
  start(input?: Partial<SiteAuditInput>): ReturnType<Client['workflow']['start']>;
  close(): Promise<void>;
}

/** A worker running the prebuilt workflow bundle with `activities`, on its own task queue of the server at `address`. */
export async function startMockWorker(activities: object, address = requireEnv('SITESWEEP_TEST_TEMPORAL_ADDRESS')): Promise<MockWorkerEnv> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    try {
      // ERROR: the failures these tests provoke on purpose are logged at WARN.
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {}
  }
  const taskQueue = `wf-${randomBytes(4).toString('hex')}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: { codePath: requireEnv('WORKFLOW_BUNDLE_PATH') },
    activities,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  return {
    client,
    taskQueue,
    start: (input = {}) =>
      client.workflow.start('siteAuditWorkflow', {
        taskQueue,
        workflowId: `site-audit:mock:${randomBytes(4).toString('hex')}`,
        args: [
          {
            siteUrl: SITE,
            auditBatchSize: 2,
            parallelBatches: 2,
            ...input,
            policies: { auditRetryInitialMs: 10, auditRetryMaxMs: 20, auditRetryMaxAttempts: 2, ...input.policies },
          },
        ],
      }),
    close: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => {});
      await nativeConnection.close();
      await connection.close();
    },
  };
}

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through scripts/run-tests.ts`);
  return v;
}

/** A promise and its resolve function, to hold an activity until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** A site of `n` pages: / links to /p1 … /p(n-1). */
export function fanOut(n: number): Record<string, string[]> {
  return { '/': Array.from({ length: n - 1 }, (_, i) => `/p${i + 1}`) };
}
