import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { Fetcher } from '../crawl/fetcher';
import type { Config } from '../config';

/** What the activities need from the process: built once by the worker, passed to every factory. */
export interface ActivityDeps {
  db: DataSource;
  fetcher: Fetcher;
  crawl: Config['crawl'];
  log: Logger;
}
