// PostgreSQL side of the cross-process per-host politeness (src/crawl/hostSlots.ts): slot leases and demands.
// Every time that matters across processes is the database's clock_timestamp(), never a worker's clock.
import type { DataSource } from 'typeorm';
import type { SlotDemand, SlotStore, TakenSlot } from '../crawl/hostSlots';

export class PgHostSlotStore implements SlotStore {
  /** Hosts whose slot rows 0..n-1 this process has already made sure exist. */
  private readonly ensured = new Map<string, number>();

  constructor(private readonly db: DataSource) {}

  async demand(host: string, holder: string, want: number, leaseMs: number): Promise<{ demands: SlotDemand[]; nowMs: number }> {
    // A data-modifying CTE is invisible to the outer query's snapshot, so our own row comes from `mine`.
    const rows: Array<{ holder: string | null; want: number | null; now_ms: number }> = await this.db.query(
      want > 0
        ? `WITH gc AS (DELETE FROM host_demand WHERE host = $1 AND until < clock_timestamp() - interval '1 minute'),
                mine AS (INSERT INTO host_demand (host, holder, want, until)
                         VALUES ($1, $2, $3, clock_timestamp() + $4::float8 * interval '1 millisecond')
                         ON CONFLICT (host, holder) DO UPDATE SET want = EXCLUDED.want, until = EXCLUDED.until
                         RETURNING holder, want)
           SELECT holder, want, extract(epoch FROM clock_timestamp()) * 1000 AS now_ms
             FROM host_demand WHERE host = $1 AND holder <> $2 AND until > clock_timestamp()
           UNION ALL SELECT holder, want, extract(epoch FROM clock_timestamp()) * 1000 FROM mine`
        : `WITH mine AS (DELETE FROM host_demand WHERE host = $1 AND holder = $2)
           SELECT holder, want, extract(epoch FROM clock_timestamp()) * 1000 AS now_ms
             FROM host_demand WHERE host = $1 AND holder <> $2 AND until > clock_timestamp()
           UNION ALL SELECT NULL, NULL, extract(epoch FROM clock_timestamp()) * 1000`,
      want > 0 ? [host, holder, want, leaseMs] : [host, holder],
    );
    return {
      demands: rows.filter((r) => r.holder !== null).map((r) => ({ holder: r.holder as string, want: Number(r.want) })),
      nowMs: Number(rows[0]?.now_ms ?? Date.now()),
    };
  }

  async release(host: string, holder: string, slots: number[]): Promise<void> {
    if (slots.length === 0) return;
    await this.db.query(
      `UPDATE host_slots SET holder = NULL, lease_until = NULL, last_request_at = clock_timestamp()
        WHERE host = $1 AND holder = $2 AND slot_no = ANY($3::int[])`,
      [host, holder, slots],
    );
  }

  async renew(host: string, holder: string, leaseMs: number): Promise<number[]> {
    const rows: Array<{ slot_no: number }> = await this.db.query(
      `UPDATE host_slots SET lease_until = clock_timestamp() + $3::float8 * interval '1 millisecond'
        WHERE host = $1 AND holder = $2 RETURNING slot_no`,
      [host, holder, leaseMs],
    ).then(updatedRows<{ slot_no: number }>);
    return rows.map((r) => r.slot_no);
  }

  async take(host: string, holder: string, n: number, count: number, leaseMs: number): Promise<TakenSlot[]> {
    if ((this.ensured.get(host) ?? 0) < n) {
      await this.db.query(`INSERT INTO host_slots (host, slot_no) SELECT $1, g FROM generate_series(0, $2::int - 1) g ON CONFLICT DO NOTHING`, [host, n]);
      this.ensured.set(host, n);
    }
    // A slot taken over from another holder's expired lease counts as used until that lease's end (it may have sent a
    // request just before it died); a released slot carries the time it was given back.
    const rows: Array<{ slot_no: number; ago_ms: number | null }> = await this.db.query(
      `WITH f AS (
         SELECT slot_no, holder AS prev_holder, lease_until AS prev_until, last_request_at
           FROM host_slots
          WHERE host = $1 AND slot_no < $3 AND (holder IS NULL OR lease_until < clock_timestamp())
          ORDER BY slot_no LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE host_slots s SET holder = $2, lease_until = clock_timestamp() + $5::float8 * interval '1 millisecond'
         FROM f WHERE s.host = $1 AND s.slot_no = f.slot_no
       RETURNING s.slot_no,
         extract(epoch FROM clock_timestamp() - GREATEST(f.last_request_at, CASE WHEN f.prev_holder <> $2 THEN f.prev_until END)) * 1000 AS ago_ms`,
      [host, holder, n, count, leaseMs],
    ).then(updatedRows<{ slot_no: number; ago_ms: number | null }>);
    return rows.map((r) => ({ slotNo: r.slot_no, agoMs: r.ago_ms === null ? null : Number(r.ago_ms) }));
  }

  async releaseAll(holder: string): Promise<void> {
    await this.db.query(
      `UPDATE host_slots SET holder = NULL, lease_until = NULL, last_request_at = clock_timestamp() WHERE holder = $1`,
      [holder],
    );
    await this.db.query(`DELETE FROM host_demand WHERE holder = $1`, [holder]);
  }
}

/** typeorm answers an UPDATE … RETURNING with [rows, affected count]. */
function updatedRows<T>(r: [T[], number]): T[] {
  return r[0];
}
