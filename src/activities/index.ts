// src/activities: the worker's I/O, each group built by a factory from narrow dependencies (deps.ts). Runs,
// discovery, the crawl step (audit.ts) and its persistence (persist.ts), the frontier (frontier.ts, its own
// repository), summarize, external links, image sizes, AI jobs, batches and event delivery. Other SQL is in src/db.
// All activities of the site audit, built from the process's dependencies (DataSource, HTTP pool, logger).
import { createAiActivities } from './ai';
import { createAuditActivities } from './audit';
import { createBatchActivities } from './batches';
import type { ActivityDeps } from './deps';
import { createDiscoverActivities } from './discover';
import { createEventActivities } from './events';
import { createExternalActivities } from './external';
import { createImageActivities } from './images';
import { createRunActivities } from './runs';
import { createSummarizeActivities } from './summarize';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRunActivities(deps),
    ...createDiscoverActivities(deps),
    ...createAuditActivities(deps),
    ...createSummarizeActivities(deps),
    ...createExternalActivities(deps),
    ...createImageActivities(deps),
    ...createBatchActivities(deps),
    ...createAiActivities(deps),
    ...createEventActivities(deps),
  };
}
