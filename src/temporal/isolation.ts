// Which task queue the CLI's in-process worker may poll.
//
// Every worker on a task queue must reach the same PostgreSQL: an activity taken by a worker bound to another database
// writes the run's pages there (or fails to find the run). The CLI brings its own PostgreSQL when DATABASE_URL is not
// set, so when its Temporal server may be shared (TEMPORAL_ADDRESS / a profile, or a server found already running on the
// default port) it must not join the shared queue. It polls a private queue instead, named after this machine and
// SITESWEEP_HOME, i.e. after the local database it uses: stable across CLI runs, so a run left behind by a killed CLI is
// picked up by the next one on the same machine, and never polled by a worker bound to another database.
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../config';

export interface CliQueue {
  taskQueue: string;
  /** One line for the user when the queue is not the configured one. */
  reason: string;
}

export function cliTaskQueue(o: { config: Config; databaseFromEnv: boolean; temporalShared: boolean; home: string; hostname?: string }): CliQueue {
  const configured = o.config.temporal.taskQueue;
  // The user's DATABASE_URL is the shared database (or at least the user's deliberate choice); our own dev server has no
  // other workers. Either way the configured queue is right.
  if (o.databaseFromEnv || !o.temporalShared) return { taskQueue: configured, reason: '' };
  const id = createHash('sha256').update(`${o.hostname ?? os.hostname()}\0${o.home}`).digest('hex').slice(0, 12);
  const taskQueue = `${configured}-cli-${id}`;
  return {
    taskQueue,
    reason:
      `Temporal at ${o.config.temporal.address ?? 'the default port'} may be shared with other workers, and this run uses a local PostgreSQL (no DATABASE_URL): ` +
      `its workflows and activities go to the private task queue "${taskQueue}", not "${configured}". Set DATABASE_URL to the shared database to use "${configured}".`,
  };
}
