// The local stack that `npm test` and `npm run eval:checks` run on: a real Temporal dev server, a real PostgreSQL
// (DATABASE_URL when given, else an embedded one) and a prebuilt workflow bundle, brought up side by side.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../src/logger';

export interface TestStack {
  /** The Temporal CLI binary found or built, null when the SDK's download serves instead. */
  cli: string | null;
  temporalAddress: string;
  /** Where tests create their databases. */
  pgAdminUrl: string;
  workflowBundlePath: string;
  stop(): Promise<void>;
}

export async function startTestStack(log: Logger): Promise<TestStack> {
  // Loaded only now: the stack and the bundler (webpack, the Temporal worker) take seconds to import.
  const { findOrBuildTemporalCli, startLocalPostgres, startTemporalDevServer } = await import('../src/stack/index.js');
  const { buildWorkflowBundle } = await import('./build-workflow-bundle.js');
  const cli = await findOrBuildTemporalCli({ log });
  if (cli) log.info({ cli }, 'temporal CLI');
  else log.warn('no temporal CLI binary: falling back to the Temporal SDK download');
  const [bundle, temporal, pg] = await Promise.allSettled([
    buildWorkflowBundle(path.join(mkdtempSync(path.join(os.tmpdir(), 'sitesweep-bundle-')), 'workflow-bundle.js')),
    startTemporalDevServer({ log, executable: cli ?? undefined }),
    process.env.DATABASE_URL ? Promise.resolve(null) : startLocalPostgres({ relaxedDurability: true, log }),
  ]);
  const stop = async () => {
    if (temporal.status === 'fulfilled') await temporal.value.stop().catch(() => {});
    if (pg.status === 'fulfilled') await pg.value?.dispose().catch(() => {});
  };
  // A part that failed to start stops the ones that did, so no server outlives the process.
  for (const part of [bundle, temporal, pg]) {
    if (part.status === 'rejected') {
      await stop();
      throw part.reason;
    }
  }
  const ok = <T>(p: PromiseSettledResult<T>) => (p as PromiseFulfilledResult<T>).value;
  return {
    cli,
    temporalAddress: ok(temporal).address,
    pgAdminUrl: process.env.DATABASE_URL ?? ok(pg)!.adminUrl,
    workflowBundlePath: ok(bundle),
    stop,
  };
}
