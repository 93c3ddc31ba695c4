import type { MigrationInterface, QueryRunner } from 'typeorm';

// Per-run sizes of the site's images (option checkImageSizes): each distinct image URL is sized once per execution of a
// run (the unique key, and execution_id for a re-run with the same run key), so a retried activity only sizes what is
// still missing. bytes is null when neither HEAD nor the ranged GET gave a size (or the image failed: status_code).
export class ImageSizes1700000016000 implements MigrationInterface {
  name = 'ImageSizes1700000016000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE image_sizes (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES audit_runs(id) ON DELETE CASCADE,
        url_hash text NOT NULL,
        url text NOT NULL,
        execution_id text,
        status_code int,
        bytes bigint,
        method text,
        failure_reason text,
        checked_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT image_sizes_run_url_uq UNIQUE (run_id, url_hash)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS image_sizes`);
  }
}
