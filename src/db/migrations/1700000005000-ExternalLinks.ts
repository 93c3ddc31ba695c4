import type { MigrationInterface, QueryRunner } from 'typeorm';

// Per-run cache of external link checks: each distinct external URL is requested once per run (the unique key makes a
// retried check activity skip what is already known).
export class ExternalLinks1700000005000 implements MigrationInterface {
  name = 'ExternalLinks1700000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE external_links (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES audit_runs(id) ON DELETE CASCADE,
        url_hash text NOT NULL,
        url text NOT NULL,
        status_code int,
        final_url text,
        redirect_chain jsonb NOT NULL DEFAULT '[]',
        failure_reason text,
        checked_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT external_links_run_url_uq UNIQUE (run_id, url_hash)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS external_links`);
  }
}
