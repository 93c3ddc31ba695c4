import type { MigrationInterface, QueryRunner } from 'typeorm';

// The crawl activity persists as it goes, so counters are kept incrementally instead of recounted per batch:
// - audit_runs.fail_reasons: failures by reason, bumped in the same transaction that marks frontier rows done;
// - frontier.not_before / defers: a URL deferred by an open circuit goes back to the queue until not_before,
//   at most a bounded number of times, instead of being recorded as failed.
export class StreamingFrontier1700000007000 implements MigrationInterface {
  name = 'StreamingFrontier1700000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_runs ADD COLUMN IF NOT EXISTS fail_reasons jsonb NOT NULL DEFAULT '{}'::jsonb`);
    await q.query(`ALTER TABLE frontier ADD COLUMN IF NOT EXISTS not_before timestamptz`);
    await q.query(`ALTER TABLE frontier ADD COLUMN IF NOT EXISTS defers int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE frontier DROP COLUMN IF EXISTS defers`);
    await q.query(`ALTER TABLE frontier DROP COLUMN IF EXISTS not_before`);
    await q.query(`ALTER TABLE audit_runs DROP COLUMN IF EXISTS fail_reasons`);
  }
}
