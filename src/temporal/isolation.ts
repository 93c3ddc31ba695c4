// Which task queue the CLI's in-process worker may poll.
//
// Every worker on a task queue must reach the same PostgreSQL: an activity taken by a worker bound to another database
// writes the run's pages there (or fails to find the run). The CLI brings its own PostgreSQL when DATABASE_URL is not
// set, so when its Temporal server may be shared (TEMPORAL_ADDRESS / a profile, or a server found already running on the
// default port) it must not join the shared queue. It polls a private queue instead, named after this machine and
// SITESWEEP_HOME, i.e. after the local database it uses: stable across CLI runs, so a run left behind by a killed CLI is
// picked up by the next one on the same machine, and never polled by a worker bound to another database.
//
// A target policy is a worker's, not a run's: `--allow-private` makes the CLI's worker fetch loopback addresses. On a
// shared queue that worker would also take other runs' activities (a page redirecting to 127.0.0.1 would be fetched
// from this machine), and a run it started, left behind by a killed CLI, would be finished by a stricter worker that
// records its pages as blocked (or by one on another machine, whose loopback is another site). So a permissive CLI
// worker never joins a shared queue: it polls one named after this machine, its database and the policy, where only the
// next `--allow-private` CLI of the same setup picks up what it left.
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../config';

export interface CliQueue {
  taskQueue: string;
  /** One line for the user when the queue is not the configured one. */
  reason: string;
}

export function cliTaskQueue(o: {
  config: Config; databaseFromEnv: boolean; temporalShared: boolean; home: string; hostname?: string;
  /** The worker may fetch loopback targets (`--allow-private`). */
  allowPrivate?: boolean;
}): CliQueue {
  const configured = o.config.temporal.taskQueue;
  // Our own dev server has no other workers: the configured queue is right.
  if (!o.temporalShared) return { taskQueue: configured, reason: '' };
  const machine = `${o.hostname ?? os.hostname()}\0${o.home}`;
  if (o.allowPrivate) {
    // The database is part of the name when it is the user's: two DATABASE_URLs from one home are two queues.
    const taskQueue = privateQueue(configured, `${machine}\0${o.databaseFromEnv ? o.config.databaseUrl : ''}\0loopback`);
    return {
      taskQueue,
      reason:
        `Temporal at ${o.config.temporal.address ?? 'the default port'} may be shared with other workers, and this worker may fetch loopback addresses (--allow-private): ` +
        `its workflows and activities go to the private task queue "${taskQueue}", not "${configured}", so no other worker takes this run and this worker takes no other.`,
    };
  }
  // The user's DATABASE_URL is the shared database (or at least the user's deliberate choice): the configured queue.
  if (o.databaseFromEnv) return { taskQueue: configured, reason: '' };
  const taskQueue = privateQueue(configured, machine);
  return {
    taskQueue,
    reason:
      `Temporal at ${o.config.temporal.address ?? 'the default port'} may be shared with other workers, and this run uses a local PostgreSQL (no DATABASE_URL): ` +
      `its workflows and activities go to the private task queue "${taskQueue}", not "${configured}". Set DATABASE_URL to the shared database to use "${configured}".`,
  };
}

/** `<configured>-cli-<12 hex of the key's SHA-256>`: stable for one setup, distinct between setups. */
function privateQueue(configured: string, key: string): string {
  return `${configured}-cli-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}
