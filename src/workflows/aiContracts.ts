// Shapes shared by the AI recommendations workflow, its activities, the API and the nightly schedule.
import type { ActivityPolicies } from './contracts';

export type AiJobStatus = 'collecting' | 'submitting' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface AiJobInput {
  jobId: string;
  runId: string;
  model: string;
  severities?: string[];
  codes?: string[];
  maxPages?: number;
  /** Poll timing (from config, passed in by whoever starts the job: workflows read no config). */
  pollIntervalMs?: number;
  pollMaxIntervalMs?: number;
  pollMaxMs?: number;
}

export interface AiJobCounts {
  succeeded: number;
  errored: number;
  expired: number;
  canceled: number;
}

export interface AiJobResult extends AiJobCounts {
  jobId: string;
  status: AiJobStatus;
  total: number;
  /** Part 0's provider batch (the only one unless the job was split). */
  providerBatchId: string | null;
  /** Provider batches the job was split into (each within the provider's request and byte limits). */
  providerBatches: number;
  polls: number;
  error: string | null;
}

export const aiJobWorkflowId = (jobId: string) => `ai-recommendations-${jobId}`;

export interface NightlyInput {
  sites: string[];
  model: string;
  /** The schedule's cron expression, as given (informational: the schedule's spec is what fires). */
  cron?: string;
  options?: Record<string, unknown>;
  policies?: Partial<ActivityPolicies>;
  pollIntervalMs?: number;
  pollMaxIntervalMs?: number;
  pollMaxMs?: number;
}

export const NIGHTLY_SCHEDULE_ID = 'sitesweep-nightly';

/** Search attribute mirroring an AI job's status (registered by the stack and docker-compose). */
export const SEARCH_ATTRIBUTE_AI_JOB_STATUS = 'AiJobStatus';
