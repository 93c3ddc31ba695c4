// A CLI command that runs its own worker follows its run or batch through the database row. A row turns terminal after
// its workflow has closed (its closer writes it), except one that ended before it had a row id of its own (a run
// cancelled before initRun), which its last activity ends a workflow task before the close; only that worker runs
// those tasks. Stopping the worker first leaves the workflow open and loses what only its close produces (the
// RunWorkflow span among them), so those commands wait for the close too, within a bound.
import { WorkflowFailedError, type Client } from '@temporalio/client';

/** How long a command waits for its workflow to close after its row turned terminal, before stopping its worker. */
export const WORKFLOW_CLOSE_WAIT_MS = 30_000;

/**
 * True once the workflow (its last run, following continue-as-new) has closed, however it closed; false when it has not
 * within `timeoutMs` or cannot be asked (the caller goes on either way).
 */
export async function workflowClosed(client: Client, workflowId: string, timeoutMs = WORKFLOW_CLOSE_WAIT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const closed = client.workflow.getHandle(workflowId).result().then(() => true, (err: unknown) => err instanceof WorkflowFailedError);
  try {
    return await Promise.race([closed, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Ctrl-C in a command that runs its own worker: request cancellation, then wait (bounded) for the workflow to close.
 * That worker is the one that carries the cancellation out (the crawl step stops, the row turns cancelled); stopping it
 * at once left the run "running" until some later command ran a worker.
 */
export async function cancelAndWaitForClose(client: Client, workflowId: string, timeoutMs = WORKFLOW_CLOSE_WAIT_MS): Promise<boolean> {
  await client.workflow.getHandle(workflowId).cancel().catch(() => {});
  return workflowClosed(client, workflowId, timeoutMs);
}
