import type { MigrationInterface, QueryRunner } from 'typeorm';

// GET /api/metrics counts pages finished in the last hour: without this index that query scans every page ever audited.
export class PageAuditedAtIndex1700000006000 implements MigrationInterface {
  name = 'PageAuditedAtIndex1700000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS page_audits_audited_at_idx ON page_audits (audited_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS page_audits_audited_at_idx`);
  }
}
