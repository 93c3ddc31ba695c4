import type { MigrationInterface, QueryRunner } from 'typeorm';

// A job larger than one provider batch (Anthropic: 100,000 requests or 256 MB; Gemini inline: 20 MB) is split into
// parts: one ai_provider_batches row per part (its own submission record and provider batch id, unique so no retry
// records a second one), and each item knows its part. ai_batch_jobs.provider_batch_id keeps part 0's batch.
export class AiProviderBatches1700000011000 implements MigrationInterface {
  name = 'AiProviderBatches1700000011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS ai_provider_batches (
        job_id text NOT NULL REFERENCES ai_batch_jobs (id) ON DELETE CASCADE,
        part int NOT NULL,
        request_count int NOT NULL,
        bytes bigint NOT NULL,
        provider_batch_id text UNIQUE,
        state text NOT NULL DEFAULT 'pending',
        adopted boolean NOT NULL DEFAULT false,
        submit_started_at timestamptz,
        submitted_at timestamptz,
        ended_at timestamptz,
        PRIMARY KEY (job_id, part)
      )`);
    await q.query(`ALTER TABLE ai_batch_items ADD COLUMN IF NOT EXISTS part int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ai_batch_items DROP COLUMN IF EXISTS part`);
    await q.query(`DROP TABLE IF EXISTS ai_provider_batches`);
  }
}
