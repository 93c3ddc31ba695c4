// Events the CLI raises itself (a broken budget): delivered by the same durable workflow as the workers' events, on the
// CLI's task queue, so the delivery activity retries like any other. The CLI waits a little for it; if the receiver is
// down longer, the delivery waits for the next worker on that queue (the CLI's queue is stable per machine and home).
import type { Client } from '@temporalio/client';
import type { SitesweepEvent } from './events';
import { publicUrl } from './events';

export async function sendBudgetEvent(
  deps: { client: Client; taskQueue: string; webhookConfigured: boolean },
  run: { runId: string; workflowId: string; siteUrl: string },
  broken: Array<{ budget: string; flag: string; message: string }>,
  waitMs = 15_000,
): Promise<'delivered' | 'pending' | 'off'> {
  if (!deps.webhookConfigured) return 'off';
  const event: SitesweepEvent = {
    id: `run.budget_broken:${run.workflowId}:${run.runId}`,
    type: 'run.budget_broken',
    occurredAt: new Date().toISOString(),
    workflowId: run.workflowId,
    subjectId: run.runId,
    siteUrl: publicUrl(run.siteUrl),
    error: broken.map((b) => b.message).join('; '),
    data: { broken },
  };
  let handle;
  try {
    handle = await deps.client.workflow.start('deliverEventWorkflow', { taskQueue: deps.taskQueue, workflowId: `event:${event.id}`, args: [event] });
  } catch (err) {
    // Already sent for this run (a second CLI call on the same run): the receiver has it or will.
    if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') return 'delivered';
    throw err;
  }
  const timer = new Promise<'pending'>((r) => setTimeout(() => r('pending'), waitMs).unref());
  return Promise.race([handle.result().then(() => 'delivered' as const), timer]);
}
