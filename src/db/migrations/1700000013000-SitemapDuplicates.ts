import type { MigrationInterface, QueryRunner } from 'typeorm';

// URLs that more than one sitemap lists (site-level finding sitemap_multiple): discovery knows which sitemap listed what,
// the frontier keeps only a boolean, so discovery writes the (capped) list on the run row.
export class SitemapDuplicates1700000013000 implements MigrationInterface {
  name = 'SitemapDuplicates1700000013000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_runs ADD COLUMN IF NOT EXISTS sitemap_duplicates jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_runs DROP COLUMN IF EXISTS sitemap_duplicates`);
  }
}
