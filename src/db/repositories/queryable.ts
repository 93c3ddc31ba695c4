// What a repository needs to run a statement: a DataSource, or a transaction's EntityManager / QueryRunner, so the
// same function works inside and outside a transaction.
import type { EntityManager } from 'typeorm';

export type Queryable = Pick<EntityManager, 'query'>;
