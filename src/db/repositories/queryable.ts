// What a repository needs to run a statement: a DataSource, or a transaction's EntityManager / QueryRunner, so the
// same function works inside and outside a transaction.
import type { EntityManager } from 'typeorm';

export type Queryable = Pick<EntityManager, 'query'>;

/** The cheapest round trip: throws when the database is unreachable (readiness checks). */
export async function ping(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}
