// Activities on the real PostgreSQL, outside a workflow (MockActivityEnvironment): a test database, a Fetcher that may
// reach loopback fixture sites, the shared politeness gate, and the activities built on them.
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import type { InitRunInput } from '../../src/activities/types';
import { Fetcher } from '../../src/crawl/fetcher';
import type { Politeness } from '../../src/crawl/politeness';
import { createLogger } from '../../src/logger';
import { createSharedPoliteness } from '../../src/temporal/createWorker';
import type { SiteAuditOptions } from '../../src/workflows/contracts';
import { createTestDatabase, testConfig, type TestDb } from './stack';

/** MockActivityEnvironment.run with the activity's own types. */
export function runIn<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

export interface ActivityHarness {
  tdb: TestDb;
  fetcher: Fetcher;
  politeness: Politeness;
  acts: ReturnType<typeof createActivities>;
  /** Releases the host slots, closes the Fetcher, drops the database. */
  close(): Promise<void>;
}

export async function startActivityHarness(dbPrefix: string): Promise<ActivityHarness> {
  const tdb = await createTestDatabase(dbPrefix);
  const fetcher = new Fetcher({ connectionsPerHost: 4, allowPrivateTargets: true });
  const politeness = createSharedPoliteness(tdb.db, createLogger('warn'));
  const acts = createActivities({ db: tdb.db, fetcher, politeness, crawl: testConfig().crawl, log: createLogger('warn') });
  return {
    tdb, fetcher, politeness, acts,
    close: async () => {
      await politeness.close();
      await fetcher.close();
      await tdb.close();
    },
  };
}

/** initRun, then discover (with `discoverOptions`, the run's options by default): the run's id. */
export async function initDiscoveredRun(acts: ActivityHarness['acts'], init: InitRunInput, discoverOptions: SiteAuditOptions = init.options): Promise<string> {
  const runId = await runIn(new MockActivityEnvironment(), acts.initRun, init);
  await runIn(new MockActivityEnvironment(), acts.discover, { runId, siteUrl: init.siteUrl, options: discoverOptions });
  return runId;
}
