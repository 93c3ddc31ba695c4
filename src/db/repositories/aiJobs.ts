// The AI recommendations aggregate: an ai_batch_jobs row per job (lifecycle, counts, cost), its ai_batch_items (one
// per page: prompt, parsed suggestion or error) and its ai_provider_batches (one per part: the provider batch it
// created, recorded so a retried submit never creates a second one). Written by src/activities/ai.ts, read by the
// recommendations API and the page detail.
import type { Finding } from '../../audit/types';
import type { Queryable } from './queryable';

export type AiJobRow = {
  id: string;
  workflow_id: string;
  run_id: string;
  model: string;
  provider: string;
  status: string;
  provider_batch_id: string | null;
  total_pages: number;
  succeeded: number;
  errored: number;
  expired: number;
  canceled: number;
  /** bigint: a string. */
  input_tokens: string;
  output_tokens: string;
  estimated_cost_usd: number | null;
  options: Record<string, unknown>;
  metadata: { error?: string; adopted?: boolean; providerBatches?: number; [key: string]: unknown };
  submit_started_at: Date | null;
  submitted_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

export type AiProviderBatchRow = {
  job_id: string;
  part: number;
  request_count: number;
  bytes: string;
  provider_batch_id: string | null;
  state: string;
  adopted: boolean;
  submit_started_at: Date | null;
  submitted_at: Date | null;
  ended_at: Date | null;
};

export interface NewAiJob {
  jobId: string;
  workflowId: string;
  runId: string;
  model: string;
  provider: string;
  options: { severities: string[] | null; codes: string[] | null; maxPages: number | null };
}

/** API: the job's row, before its workflow starts. */
export async function insertAiJob(db: Queryable, j: NewAiJob): Promise<void> {
  await db.query(
    `INSERT INTO ai_batch_jobs (id, workflow_id, run_id, model, provider, status, options) VALUES ($1, $2, $3, $4, $5, 'collecting', $6)`,
    [j.jobId, j.workflowId, j.runId, j.model, j.provider, JSON.stringify(j.options)],
  );
}

/** Activity: the job's row when the API did not write it (idempotent). */
export async function ensureAiJob(db: Queryable, j: NewAiJob): Promise<void> {
  await db.query(
    `INSERT INTO ai_batch_jobs (id, workflow_id, run_id, model, provider, status, options)
     VALUES ($1, $2, $3, $4, $5, 'collecting', $6) ON CONFLICT (id) DO NOTHING`,
    [j.jobId, j.workflowId, j.runId, j.model, j.provider, JSON.stringify(j.options)],
  );
}

export async function findAiJob(db: Queryable, jobId: string): Promise<AiJobRow | undefined> {
  const [row]: AiJobRow[] = await db.query(`SELECT * FROM ai_batch_jobs WHERE id = $1`, [jobId]);
  return row;
}

/** The run's newest job, or the given one if it belongs to the run. */
export async function latestAiJobOfRun(db: Queryable, runId: string, jobId?: string): Promise<AiJobRow | undefined> {
  const [row]: AiJobRow[] = await db.query(
    `SELECT * FROM ai_batch_jobs WHERE run_id = $1 AND ($2::text IS NULL OR id = $2) ORDER BY created_at DESC LIMIT 1`,
    [runId, jobId ?? null],
  );
  return row;
}

/** One part of a job, with the job's model. */
export async function findPart(db: Queryable, jobId: string, part: number): Promise<(AiProviderBatchRow & { model: string }) | undefined> {
  const [row]: Array<AiProviderBatchRow & { model: string }> = await db.query(
    `SELECT b.*, j.model FROM ai_provider_batches b JOIN ai_batch_jobs j ON j.id = b.job_id WHERE b.job_id = $1 AND b.part = $2`,
    [jobId, part],
  );
  return row;
}

export interface NewAiItem {
  page_id: string;
  url: string;
  prompt_hash: string;
  prompt: string;
  part: number;
}

/** The job's items and one row per part (request count, bytes); idempotent on (job, custom id) and (job, part). */
export async function insertItemsAndParts(tx: Queryable, jobId: string, items: NewAiItem[], requestOverheadBytes: number): Promise<void> {
  await tx.query(
    `INSERT INTO ai_batch_items (job_id, custom_id, page_id, url, prompt_hash, prompt, part)
     SELECT $1, 'p-' || r.page_id, r.page_id::bigint, r.url, r.prompt_hash, r.prompt, r.part
       FROM jsonb_to_recordset($2::jsonb) AS r(page_id text, url text, prompt_hash text, prompt text, part int)
     ON CONFLICT (job_id, custom_id) DO NOTHING`,
    [jobId, JSON.stringify(items)],
  );
  await tx.query(
    `INSERT INTO ai_provider_batches (job_id, part, request_count, bytes)
     SELECT $1, part, count(*)::int, sum(octet_length(prompt) + $2)::bigint FROM ai_batch_items WHERE job_id = $1 GROUP BY part
     ON CONFLICT (job_id, part) DO NOTHING`,
    [jobId, requestOverheadBytes],
  );
}

export async function countItemsAndParts(db: Queryable, jobId: string): Promise<{ n: number; parts: number }> {
  const [row] = await db.query(
    `SELECT (SELECT count(*)::int FROM ai_batch_items WHERE job_id = $1) AS n, (SELECT count(*)::int FROM ai_provider_batches WHERE job_id = $1) AS parts`,
    [jobId],
  );
  return row;
}

export async function setJobTotals(db: Queryable, jobId: string, totalPages: number, estimatedCostUsd: number, parts: number): Promise<void> {
  await db.query(
    `UPDATE ai_batch_jobs SET total_pages = $2, estimated_cost_usd = $3, metadata = metadata || jsonb_build_object('providerBatches', $4::int), updated_at = now() WHERE id = $1`,
    [jobId, totalPages, estimatedCostUsd, parts],
  );
}

/**
 * The job's status; a terminal one sets completed_at once; an error goes into metadata. `statusAfterClose` (a terminal
 * status): everything but the status, which the job's closer writes once its workflow has closed (markJobFinal).
 */
export async function setJobStatus(db: Queryable, jobId: string, status: string, terminal: boolean, error: string | null, statusAfterClose = false): Promise<void> {
  await db.query(
    `UPDATE ai_batch_jobs SET status = CASE WHEN $5 THEN status ELSE $2 END, updated_at = now(),
       completed_at = CASE WHEN $3 THEN COALESCE(completed_at, now()) ELSE completed_at END,
       metadata = CASE WHEN $4::text IS NULL THEN metadata ELSE metadata || jsonb_build_object('error', $4::text) END
     WHERE id = $1`,
    [jobId, status, terminal, error, statusAfterClose],
  );
}

/** A job finished but for its status (setJobStatus with statusAfterClose): open, with a completion time. */
const FINISHED_OPEN = `status NOT IN ('completed', 'failed', 'cancelled') AND completed_at IS NOT NULL`;

/** The job's workflow has closed in Temporal as its code ended it: its finished row now says `status`. True when it wrote. */
export async function markJobFinal(db: Queryable, jobId: string, status: string): Promise<boolean> {
  const [, affected]: [unknown[], number] = await db.query(
    `UPDATE ai_batch_jobs SET status = $2, updated_at = now() WHERE id = $1 AND ${FINISHED_OPEN}`,
    [jobId, status],
  );
  return affected > 0;
}

/**
 * A job whose workflow closed other than completed, if its row is still open. When the workflow's own code ended it
 * (`close.byWorkflow`: cancelled) and finished the row, only the status is left to write; otherwise (terminated or
 * timed out in Temporal) it ends with Temporal's status and reason. True when it wrote.
 */
export async function markJobClosedOutside(db: Queryable, jobId: string, close: { status: 'failed' | 'cancelled'; error: string; byWorkflow: boolean }): Promise<boolean> {
  if (close.byWorkflow && (await markJobFinal(db, jobId, close.status))) return true;
  // TypeORM answers an UPDATE with [rows, affected].
  const [, affected]: [unknown[], number] = await db.query(
    `UPDATE ai_batch_jobs SET status = $2, updated_at = now(), completed_at = COALESCE(completed_at, now()),
       metadata = metadata || jsonb_build_object('error', $3::text)
     WHERE id = $1 AND status NOT IN ('completed', 'failed', 'cancelled')`,
    [jobId, close.status, close.error],
  );
  return affected > 0;
}

export async function partRequests(db: Queryable, jobId: string, part: number): Promise<Array<{ custom_id: string; prompt: string }>> {
  return db.query(`SELECT custom_id, prompt FROM ai_batch_items WHERE job_id = $1 AND part = $2 ORDER BY id`, [jobId, part]);
}

export async function partCustomIds(db: Queryable, jobId: string, part: number): Promise<string[]> {
  const rows: Array<{ custom_id: string }> = await db.query(`SELECT custom_id FROM ai_batch_items WHERE job_id = $1 AND part = $2 ORDER BY id`, [jobId, part]);
  return rows.map((r) => r.custom_id);
}

/** Before the provider's create call: the attempt is on record (a retry then looks for a batch it may have made). */
export async function markPartSubmitting(db: Queryable, jobId: string, part: number): Promise<void> {
  await db.query(`UPDATE ai_provider_batches SET state = 'submitting', submit_started_at = now() WHERE job_id = $1 AND part = $2`, [jobId, part]);
  await db.query(`UPDATE ai_batch_jobs SET submit_started_at = COALESCE(submit_started_at, now()), updated_at = now() WHERE id = $1`, [jobId]);
}

/** Right after the create call (or an adoption): the part's provider batch, and part 0's on the job. */
export async function recordPartSubmitted(tx: Queryable, jobId: string, part: number, providerBatchId: string, adopted: boolean): Promise<void> {
  await tx.query(
    `UPDATE ai_provider_batches SET provider_batch_id = $3, state = 'processing', adopted = $4, submitted_at = COALESCE(submitted_at, now())
      WHERE job_id = $1 AND part = $2`,
    [jobId, part, providerBatchId, adopted],
  );
  await tx.query(
    `UPDATE ai_batch_jobs SET provider_batch_id = CASE WHEN $2 = 0 THEN $3 ELSE provider_batch_id END,
       submitted_at = COALESCE(submitted_at, now()),
       metadata = metadata || jsonb_build_object('adopted', COALESCE((metadata->>'adopted')::boolean, false) OR $4::boolean), updated_at = now()
     WHERE id = $1`,
    [jobId, part, providerBatchId, adopted],
  );
}

/** Every provider batch id any job has recorded (an adoption must not take one of them). */
export async function knownProviderBatchIds(db: Queryable): Promise<Set<string>> {
  const rows: Array<{ provider_batch_id: string }> = await db.query(`SELECT provider_batch_id FROM ai_provider_batches WHERE provider_batch_id IS NOT NULL`);
  return new Set(rows.map((r) => r.provider_batch_id));
}

export async function markPartEnded(db: Queryable, jobId: string, part: number): Promise<void> {
  await db.query(`UPDATE ai_provider_batches SET state = 'ended', ended_at = now() WHERE job_id = $1 AND part = $2`, [jobId, part]);
}

/** Provider batch ids of the job's submitted parts that have not ended, in part order. */
export async function openProviderBatchIds(db: Queryable, jobId: string): Promise<string[]> {
  const rows: Array<{ provider_batch_id: string }> = await db.query(
    `SELECT provider_batch_id FROM ai_provider_batches WHERE job_id = $1 AND provider_batch_id IS NOT NULL AND state <> 'ended' ORDER BY part`,
    [jobId],
  );
  return rows.map((r) => r.provider_batch_id);
}

export interface ItemResult {
  custom_id: string;
  status: string;
  result: unknown;
  error: string | null;
  inp: number | null;
  out: number | null;
}

/** One part's results by custom id; a request of the part with no result line becomes errored (never dropped). */
export async function storePartResults(tx: Queryable, jobId: string, part: number, results: ItemResult[]): Promise<void> {
  await tx.query(
    `UPDATE ai_batch_items i SET status = u.status, result = u.result, error = u.error, input_tokens = u.inp, output_tokens = u.out
       FROM jsonb_to_recordset($2::jsonb) AS u(custom_id text, status text, result jsonb, error text, inp int, out int)
      WHERE i.job_id = $1 AND i.part = $3 AND i.custom_id = u.custom_id`,
    [jobId, JSON.stringify(results), part],
  );
  await tx.query(
    `UPDATE ai_batch_items SET status = 'errored', error = 'no result returned for this request' WHERE job_id = $1 AND part = $2 AND status = 'pending'`,
    [jobId, part],
  );
}

export interface ItemCounts {
  succeeded: number;
  errored: number;
  expired: number;
  canceled: number;
  /** bigint sums: strings. */
  inp: string;
  out: string;
}

/** The whole job's items counted by outcome, and its token usage. */
export async function countItemOutcomes(db: Queryable, jobId: string): Promise<ItemCounts> {
  const [c] = await db.query(
    `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE status = 'errored')::int AS errored,
            count(*) FILTER (WHERE status = 'expired')::int AS expired, count(*) FILTER (WHERE status = 'canceled')::int AS canceled,
            COALESCE(sum(input_tokens), 0)::bigint AS inp, COALESCE(sum(output_tokens), 0)::bigint AS out
       FROM ai_batch_items WHERE job_id = $1`,
    [jobId],
  );
  return c;
}

export async function setJobCounts(db: Queryable, jobId: string, c: ItemCounts, estimatedCostUsd: number): Promise<void> {
  await db.query(
    `UPDATE ai_batch_jobs SET succeeded = $2, errored = $3, expired = $4, canceled = $5, input_tokens = $6, output_tokens = $7,
       estimated_cost_usd = $8, updated_at = now() WHERE id = $1`,
    [jobId, c.succeeded, c.errored, c.expired, c.canceled, c.inp, c.out, estimatedCostUsd],
  );
}

export type AiItemView = { id: string; custom_id: string; url: string; status: string; result: unknown; error: string | null; issues: Finding[] | null };

/** A page of the job's items after item id `cursor`, each with its page's findings (at most `limit` rows). */
export async function jobItems(db: Queryable, jobId: string, cursor: string | null, limit: number): Promise<AiItemView[]> {
  return db.query(
    `SELECT i.id, i.custom_id, i.url, i.status, i.result, i.error, p.issues
       FROM ai_batch_items i LEFT JOIN page_audits p ON p.id = i.page_id
      WHERE i.job_id = $1 AND ($2::bigint IS NULL OR i.id > $2) ORDER BY i.id LIMIT $3`,
    [jobId, cursor, limit],
  );
}

export async function jobParts(db: Queryable, jobId: string): Promise<Array<Pick<AiProviderBatchRow, 'part' | 'provider_batch_id' | 'request_count' | 'state' | 'submitted_at' | 'ended_at'>>> {
  return db.query(
    `SELECT part, provider_batch_id, request_count, state, submitted_at, ended_at FROM ai_provider_batches WHERE job_id = $1 ORDER BY part`,
    [jobId],
  );
}

/** The newest suggestion for one page of a run (page detail). */
export async function latestSuggestionOfPage(db: Queryable, runId: string, pageId: string): Promise<{ job_id: string; model: string; status: string; result: unknown; error: string | null } | undefined> {
  const [row] = await db.query(
    `SELECT j.id AS job_id, j.model, i.status, i.result, i.error FROM ai_batch_jobs j JOIN ai_batch_items i ON i.job_id = j.id
      WHERE j.run_id = $1 AND i.page_id = $2 ORDER BY j.created_at DESC LIMIT 1`,
    [runId, pageId],
  );
  return row;
}
