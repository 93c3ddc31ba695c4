// The nightly schedule's workflow: audit the configured sites as one batch, then one AI recommendations job per
// finished run (children, so the schedule's execution shows the whole night).
import { executeChild, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { createAiActivities } from '../activities/ai';
import { aiJobWorkflowId, type AiJobResult, type NightlyInput } from './aiContracts';
import { aiRecommendationsWorkflow } from './aiRecommendations';
import { batchAuditWorkflow } from './batchAudit';

const acts = proxyActivities<ReturnType<typeof createAiActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
});

export async function nightlyWorkflow(input: NightlyInput): Promise<{ batchId: string; runs: number; jobs: AiJobResult[] }> {
  const batchId = uuid4();
  await executeChild(batchAuditWorkflow, {
    workflowId: `${workflowInfo().workflowId}-batch`,
    args: [{ batchId, domains: input.sites, ...(input.options ? { options: input.options } : {}), ...(input.policies ? { policies: input.policies } : {}) }],
    parentClosePolicy: 'REQUEST_CANCEL',
  });
  const runIds = await acts.aiCompletedRunsOfBatch({ batchId });
  const jobs = await Promise.all(
    runIds.map((runId) => {
      const jobId = uuid4();
      return executeChild(aiRecommendationsWorkflow, {
        workflowId: aiJobWorkflowId(jobId),
        args: [{ jobId, runId, model: input.model, pollIntervalMs: input.pollIntervalMs, pollMaxIntervalMs: input.pollMaxIntervalMs, pollMaxMs: input.pollMaxMs }],
        parentClosePolicy: 'REQUEST_CANCEL',
      });
    }),
  );
  return { batchId, runs: runIds.length, jobs };
}
