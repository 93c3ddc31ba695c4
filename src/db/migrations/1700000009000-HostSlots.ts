import type { MigrationInterface, QueryRunner } from 'typeorm';

// Per-host politeness shared by every worker process (src/crawl/hostSlots.ts): leased request slots per host, the
// time of the last request made on each, and each worker's current demand for the host.
export class HostSlots1700000009000 implements MigrationInterface {
  name = 'HostSlots1700000009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS host_slots (
        host text NOT NULL,
        slot_no integer NOT NULL,
        holder text,
        lease_until timestamptz,
        last_request_at timestamptz,
        PRIMARY KEY (host, slot_no)
      )`);
    await q.query(`CREATE INDEX IF NOT EXISTS host_slots_holder_idx ON host_slots (holder) WHERE holder IS NOT NULL`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS host_demand (
        host text NOT NULL,
        holder text NOT NULL,
        want integer NOT NULL,
        until timestamptz NOT NULL,
        PRIMARY KEY (host, holder)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS host_demand`);
    await q.query(`DROP TABLE IF EXISTS host_slots`);
  }
}
