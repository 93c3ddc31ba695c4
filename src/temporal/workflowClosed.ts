// A CLI command that runs its own worker follows its run or batch through the database row. A row turns terminal after
// its workflow has closed (its closer writes it), except one that ended before it had a row id of its own (a run
// cancelled before initRun), which its last activity ends a workflow task before the close; only that worker runs
// those tasks. Stopping the worker first leaves the workflow open and loses what only its close produces (the
// RunWorkflow span among them), so those commands wait for the close too, within a bound.
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { closerWorkflowId } from '../workflows/contracts';

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

/** How long a command waits for a closer child once its workflow has closed (the closer writes within ~100 ms). */
export const CLOSER_WAIT_MS = 10_000;

/**
 * Once the workflow has closed: waits (bounded) for the closer child it started just before (src/workflows/closers.ts),
 * which writes the row's final status. A command that stopped its own worker first left the closer open in Temporal
 * until another worker came (seen: the next `sitesweep stack`, 20 s later). True once it has closed, or when the
 * workflow started none; false when it has not within `timeoutMs` or cannot be asked (the caller goes on either way).
 */
export async function closerClosed(client: Client, kind: 'run' | 'batch', workflowId: string, timeoutMs = CLOSER_WAIT_MS): Promise<boolean> {
  try {
    return await client.withDeadline(Date.now() + timeoutMs, async () => {
      const d = await client.workflow.getHandle(workflowId).describe();
      const firstRunId = d.raw.workflowExecutionInfo?.firstRunId || d.runId;
      await client.workflow.getHandle(closerWorkflowId(kind, workflowId, firstRunId)).result();
      return true;
    });
  } catch (err) {
    return err instanceof WorkflowNotFoundError;
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
