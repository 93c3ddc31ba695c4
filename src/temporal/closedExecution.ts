// A workflow can close without its own code getting to say so: terminated from the Temporal CLI or Web UI, or timed out
// by an execution timeout. No activity runs then, so the row that mirrors it (a run, a batch, an AI job) would say
// running forever, and `sitesweep audit`, which follows the row, would wait forever. Readers that find a live row with
// no live workflow behind it ask here how the execution closed, and write that through the table's own store.
// A row also says its final status only once its workflow has closed (issue 9): the workflow's last activity leaves it
// open (a run's says how it ends in its stage), and whoever sees the workflow closed (its closer workflow,
// src/workflows/closers.ts, or a reader) writes it.
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

/** How a closed execution ends up in its row: the row's terminal status and the error it shows. */
export interface ClosedOutside {
  status: 'failed' | 'cancelled';
  error: string;
  /**
   * The workflow's own code ended it (it failed, or it was cancelled and stopped): the row already holds the workflow's
   * stage and error, which Temporal's close only repeats. False when Temporal ended it (terminated, timed out).
   */
  byWorkflow: boolean;
}

/** HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT: only the event that closed the execution. */
const CLOSE_EVENT_ONLY = 2;
const CLOSED_OUTSIDE: ReadonlySet<string> = new Set(['TERMINATED', 'TIMED_OUT', 'FAILED', 'CANCELLED']);

/**
 * Which execution chain of a workflow id a row mirrors: the one that started with this run id; any (`'only'`: the
 * row's workflow id is never reused); or, for a row no execution has picked up yet, one started after `startedAfter`
 * that is not `notChain` (the execution a rerun's row still names).
 */
export type ChainOfRow = string | 'only' | { startedAfter: Date; notChain: string | null };

export function isRowsChain(want: ChainOfRow, chain: string, startTime: Date): boolean {
  if (want === 'only') return true;
  if (typeof want === 'string') return chain === want;
  return chain !== want.notChain && startTime.getTime() >= want.startedAfter.getTime();
}

/** How an execution closed: completed by its own code, or as its row should then end. */
export type WorkflowClose = { status: 'completed' } | ClosedOutside;

/**
 * How the latest execution of `workflowId` closed, when it belongs to the row's chain (`want`); null while it runs or
 * when another chain has replaced it. Throws when Temporal cannot be asked within the deadline.
 */
export async function workflowClose(client: Client, workflowId: string, want: ChainOfRow, deadlineMs = 3_000): Promise<WorkflowClose | null> {
  return client.withDeadline(Date.now() + deadlineMs, async () => {
    const d = await client.workflow.getHandle(workflowId).describe();
    const chain = d.raw.workflowExecutionInfo?.firstRunId || d.runId;
    if (!isRowsChain(want, chain, d.startTime)) return null;
    return closeOf(client, workflowId, d);
  });
}

/**
 * The result of `workflowId`'s completed workflow (a batch's or an AI job's final status is in it); null when Temporal
 * cannot give it within the deadline.
 */
export async function completedResult<T>(client: Client, workflowId: string, deadlineMs = 3_000): Promise<T | null> {
  return client.withDeadline(Date.now() + deadlineMs, () => client.workflow.getHandle(workflowId).result() as Promise<T>).catch(() => null);
}

/** How the execution `runId` of `workflowId` closed; null while it runs. Throws when Temporal cannot be asked. */
export async function executionClose(client: Client, workflowId: string, runId: string, deadlineMs = 10_000): Promise<WorkflowClose | null> {
  return client.withDeadline(Date.now() + deadlineMs, async () => closeOf(client, workflowId, await client.workflow.getHandle(workflowId, runId).describe()));
}

async function closeOf(client: Client, workflowId: string, d: WorkflowExecutionDescription): Promise<WorkflowClose | null> {
  const status = d.status.name;
  if (status === 'COMPLETED') return { status: 'completed' };
  if (!CLOSED_OUTSIDE.has(status)) return null;
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId: d.runId },
    historyEventFilterType: CLOSE_EVENT_ONLY,
  });
  const close = history?.events?.[history.events.length - 1];
  return describeClose(status, close);
}

type CloseEvent = temporal.api.history.v1.IHistoryEvent | undefined;

export function describeClose(status: string, close: CloseEvent): ClosedOutside {
  const clip = (s: string) => s.slice(0, 2000);
  switch (status) {
    case 'TERMINATED': {
      const a = close?.workflowExecutionTerminatedEventAttributes;
      const by = a?.identity ? ` by ${a.identity}` : '';
      return { status: 'failed', error: clip(`terminated in Temporal${by}: ${a?.reason || 'no reason given'}`), byWorkflow: false };
    }
    case 'TIMED_OUT':
      return { status: 'failed', error: 'timed out in Temporal: the workflow ran past its execution timeout', byWorkflow: false };
    case 'CANCELLED':
      return { status: 'cancelled', error: 'cancelled', byWorkflow: true };
    default: {
      const message = close?.workflowExecutionFailedEventAttributes?.failure?.message;
      return { status: 'failed', error: clip(message ? `failed in Temporal: ${message}` : 'failed in Temporal'), byWorkflow: true };
    }
  }
}

/** Checks a list stopped waiting for, still running: whoever closes the Temporal connection waits for them first. */
const behind = new Set<Promise<unknown>>();

/**
 * Waits for `check` at most `ms`: a list does not wait on Temporal for long (it may be unreachable, and the rows come
 * from PostgreSQL); a check still running goes on in the background, and its guarded writes land when it ends.
 */
export async function waitAtMost(check: Promise<unknown>, ms: number): Promise<void> {
  const settled = check.catch(() => {});
  behind.add(settled);
  void settled.then(() => behind.delete(settled));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Resolves once the checks left running in the background have ended (each within its deadline). Call it before
 * closing the Temporal connection: a gRPC retry that finds its channel closed throws outside any promise, so the
 * process would end on an uncaught "Channel has been shut down".
 */
export async function backgroundChecksDone(): Promise<void> {
  await Promise.all([...behind]);
}
