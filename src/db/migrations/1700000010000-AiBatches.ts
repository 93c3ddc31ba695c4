import type { MigrationInterface, QueryRunner } from 'typeorm';

// AI recommendations through the providers' batch APIs: one ai_batch_jobs row per job (its lifecycle and the
// provider batch it created: unique, so a retried submit can never record a second one), one ai_batch_items row per
// page (custom id unique per job, the parsed suggestion or the error).
export class AiBatches1700000010000 implements MigrationInterface {
  name = 'AiBatches1700000010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS ai_batch_jobs (
        id text PRIMARY KEY,
        workflow_id text NOT NULL,
        run_id uuid NOT NULL,
        model text NOT NULL,
        provider text NOT NULL,
        status text NOT NULL DEFAULT 'collecting',
        provider_batch_id text UNIQUE,
        total_pages int NOT NULL DEFAULT 0,
        succeeded int NOT NULL DEFAULT 0,
        errored int NOT NULL DEFAULT 0,
        expired int NOT NULL DEFAULT 0,
        canceled int NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        estimated_cost_usd double precision,
        options jsonb NOT NULL DEFAULT '{}',
        metadata jsonb NOT NULL DEFAULT '{}',
        submit_started_at timestamptz,
        submitted_at timestamptz,
        completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX IF NOT EXISTS ai_batch_jobs_status_idx ON ai_batch_jobs (status)`);
    await q.query(`CREATE INDEX IF NOT EXISTS ai_batch_jobs_run_idx ON ai_batch_jobs (run_id, created_at)`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS ai_batch_items (
        id bigserial PRIMARY KEY,
        job_id text NOT NULL REFERENCES ai_batch_jobs (id) ON DELETE CASCADE,
        custom_id text NOT NULL,
        page_id bigint NOT NULL,
        url text NOT NULL,
        prompt_hash text NOT NULL,
        prompt text NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        result jsonb,
        error text,
        input_tokens int,
        output_tokens int,
        UNIQUE (job_id, custom_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ai_batch_items`);
    await q.query(`DROP TABLE IF EXISTS ai_batch_jobs`);
  }
}
