// src/db: everything that speaks SQL. dataSource.ts opens the database (one pg pool per process) and runs the
// migrations (migrations/, the schema's one source: no TypeORM entities); repositories/ holds typed statements per
// aggregate; siteChecks/ the site-level findings as set queries; runStatusStore.ts every write of a run's status and
// stage; hostSlotStore.ts the cross-process politeness leases. The crawl's hot-path writers stay beside their
// activities (src/activities/persist.ts, frontier.ts).
// TypeORM gives the DataSource (pool, transactions) and the migration runner.
import { DataSource } from 'typeorm';
import { migrations } from './migrations';

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  /** Run pending migrations right after connecting (CLI, tests, the compose `migrate` job). */
  migrate?: boolean;
  /**
   * PostgreSQL's application_name for this pool (pg_stat_activity shows it): which process holds a connection, a lock
   * or an open transaction. Default "sitesweep"; a worker names itself as Temporal does (pid@host).
   */
  applicationName?: string;
}

export async function openDatabase(opts: DatabaseOptions): Promise<DataSource> {
  const ds = new DataSource({
    type: 'postgres',
    url: opts.url,
    migrations,
    migrationsTableName: 'sitesweep_migrations',
    applicationName: opts.applicationName ?? 'sitesweep',
    synchronize: false,
    logging: false,
    // pg pool: idle connections are dropped and re-made, so a restarted PostgreSQL is survived without a worker restart.
    extra: { max: opts.poolSize ?? 10, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 10_000 },
  });
  await ds.initialize();
  if (opts.migrate) await ds.runMigrations({ transaction: 'each' });
  return ds;
}

/** Names of the migrations applied to this database, oldest first (`sitesweep migrate` prints them). */
export async function appliedMigrations(ds: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = await ds.query(`SELECT name FROM sitesweep_migrations ORDER BY id`);
  return rows.map((r) => r.name);
}
