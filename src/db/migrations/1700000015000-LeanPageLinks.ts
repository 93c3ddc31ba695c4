import type { MigrationInterface, QueryRunner } from 'typeorm';

// page_links is the run's largest table (~46 rows per page: 4.6M at 100k pages) and was its most expensive write: per
// row a bigserial, a unique check on (run_id, from_hash, to_hash) and a foreign-key trigger on audit_runs. None of them
// guards anything the writer does not already guarantee: a page's links are inserted only by the transaction that
// moves the page's frontier row to `done` (persist.ts), so a retry or replay inserts none twice, and they are written
// together with the page row, whose own foreign key checks the run. Deleting a run's links is explicit (initRun).
// What stays: the two lookups the reports and site checks use, inlinks by (run_id, to_hash), outlinks by
// (run_id, from_hash).
export class LeanPageLinks1700000015000 implements MigrationInterface {
  name = 'LeanPageLinks1700000015000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE page_links DROP CONSTRAINT IF EXISTS page_links_run_id_fkey`);
    await q.query(`ALTER TABLE page_links DROP CONSTRAINT IF EXISTS page_links_uq`);
    await q.query(`ALTER TABLE page_links DROP CONSTRAINT IF EXISTS page_links_pkey`);
    await q.query(`ALTER TABLE page_links DROP COLUMN IF EXISTS id`);
    await q.query(`CREATE INDEX IF NOT EXISTS page_links_from_idx ON page_links (run_id, from_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS page_links_from_idx`);
    await q.query(`ALTER TABLE page_links ADD COLUMN id bigserial PRIMARY KEY`);
    await q.query(`DELETE FROM page_links a USING page_links b WHERE a.id > b.id AND a.run_id = b.run_id AND a.from_hash = b.from_hash AND a.to_hash = b.to_hash`);
    await q.query(`ALTER TABLE page_links ADD CONSTRAINT page_links_uq UNIQUE (run_id, from_hash, to_hash)`);
    await q.query(`DELETE FROM page_links l WHERE NOT EXISTS (SELECT 1 FROM audit_runs r WHERE r.id = l.run_id)`);
    await q.query(`ALTER TABLE page_links ADD CONSTRAINT page_links_run_id_fkey FOREIGN KEY (run_id) REFERENCES audit_runs(id) ON DELETE CASCADE`);
  }
}
