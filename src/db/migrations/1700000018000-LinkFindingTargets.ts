import type { MigrationInterface, QueryRunner } from 'typeorm';

// A link finding (broken internal link, link to a redirect, nofollow link to an indexable page) names its target's
// url_hash instead of storing its source links: readers take the sources from page_links by the (run_id, to_hash)
// index when they read the finding (src/db/siteChecks/linkSources.ts). Rows written before keep their stored sources.
export class LinkFindingTargets1700000018000 implements MigrationInterface {
  name = 'LinkFindingTargets1700000018000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE site_issues ADD COLUMN IF NOT EXISTS link_target_hash text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE site_issues DROP COLUMN IF EXISTS link_target_hash`);
  }
}
