// src/db/repositories: one module per aggregate (runs, batches, pages, links, siteIssues, externalLinks, imageSizes, aiJobs) and
// stats for the metrics. Each exports typed row types and functions named by what they do; every function takes a
// Queryable, so it runs alike on the DataSource or inside a caller's transaction. Statements are plain SQL (keyset
// pages, jsonb_to_recordset bulk writes, ON CONFLICT); src/api, src/activities, src/reports and src/ai write none
// (lint-enforced; eslint.config.mjs names the exempt hot-path files).
import type { EntityManager } from 'typeorm';

/** A DataSource, or a transaction's EntityManager / QueryRunner. */
export type Queryable = Pick<EntityManager, 'query'>;

/** The cheapest round trip: throws when the database is unreachable (readiness checks). */
export async function ping(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}
