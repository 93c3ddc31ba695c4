import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { Fetcher } from '../crawl/fetcher';
import type { Renderer } from '../crawl/render';
import type { Politeness } from '../crawl/politeness';
import type { Config } from '../config';
import type { Analyze } from './analyzePool';
import type { WorkflowClose } from '../temporal/closedExecution';

/** What the activities need from the process: built once by the worker, passed to every factory. */
export interface ActivityDeps {
  db: DataSource;
  fetcher: Fetcher;
  /** Per-host politeness shared by every worker process (leases in PostgreSQL); every site request goes through it. */
  politeness: Politeness;
  crawl: Config['crawl'];
  /** AI provider keys and base URLs (absent: AI jobs fail naming the missing key). */
  ai?: Config['ai'];
  /** Webhook target and secrets to scrub (absent: events are not delivered). */
  alerts?: Config['alerts'];
  log: Logger;
  /** Parse + checks of one page; absent: on the calling thread (the worker passes its thread pool). */
  analyze?: Analyze;
  /** The process's headless-browser pool for runs with render: "chromium" (absent: such pages keep their raw HTML). */
  renderer?: Renderer;
  /**
   * How a workflow execution closed (Temporal's describe), null while it runs; throws when Temporal cannot be asked.
   * The closers need it (src/workflows/closers.ts; absent: a worker without a client, as in activity tests, and a
   * closer then fails).
   */
  executionClose?: (workflowId: string, runId: string) => Promise<WorkflowClose | null>;
}
