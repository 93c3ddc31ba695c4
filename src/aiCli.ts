// `sitesweep recommend <runId> --model …` and `sitesweep schedule …`: against a running stack (DATABASE_URL and
// TEMPORAL_ADDRESS). `recommend` goes through the API's own route (same validation and errors) on an ephemeral port.
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { upsertNightlySchedule } from './ai/schedule';
import { createApp } from './api/app';
import { listenApi } from './api/listen';
import { loadConfig } from './config';
import { openDatabase } from './db/dataSource';
import { createLogger } from './logger';
import { connectClient } from './temporal/connection';

async function withStack<T>(fn: (deps: { config: ReturnType<typeof loadConfig>; db: Awaited<ReturnType<typeof openDatabase>>; client: Awaited<ReturnType<typeof connectClient>> }) => Promise<T>): Promise<T> {
  const config = loadConfig();
  if (!config.databaseUrl || !config.temporal.address) throw new Error('DATABASE_URL and TEMPORAL_ADDRESS must point at a running stack (sitesweep stack)');
  const db = await openDatabase({ url: config.databaseUrl });
  const client = await connectClient(config);
  try {
    return await fn({ config, db, client });
  } finally {
    await client.connection.close();
    await db.destroy();
  }
}

async function recommend(runId: string, o: { model: string; dryRun?: boolean; maxPages?: string; severity?: string[] }): Promise<number> {
  return withStack(async ({ config, db, client }) => {
    const server = listenApi(createApp({ db, client, config, log: createLogger('warn', 'cli') }), 0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const body = { model: o.model, ...(o.dryRun ? { dryRun: true } : {}), ...(o.maxPages ? { maxPages: Number(o.maxPages) } : {}), ...(o.severity ? { severities: o.severity } : {}) };
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/runs/${encodeURIComponent(runId)}/recommendations`, {
        method: 'POST', headers: { 'content-type': 'application/json', ...(config.api.token ? { authorization: `Bearer ${config.api.token}` } : {}) }, body: JSON.stringify(body),
      });
      const json: any = await res.json();
      if (res.status >= 400) {
        process.stderr.write(`sitesweep: ${json.error?.message ?? res.status}\n`);
        return 2;
      }
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      return 0;
    } finally {
      server.close();
    }
  });
}

/** Adds the two subcommands; `done` receives each action's exit-code promise (the CLI's `result`). */
export function registerAiCommands(program: Command, done: (p: Promise<number>) => void): void {
  program.command('recommend').description('AI recommendations for a finished run through the provider batch API')
    .argument('<runId>').requiredOption('--model <model>', 'claude-… (ANTHROPIC_API_KEY) or gemini-… (GEMINI_API_KEY)')
    .option('--dry-run', 'only count pages, tokens and cost').option('--max-pages <n>').option('--severity <s...>')
    .action((runId: string, o) => done(recommend(runId, o)));
  program.command('schedule').description('create or update the nightly audit + recommendations Temporal Schedule')
    .option('--site <url...>', 'sites to audit (default NIGHTLY_SITES)').option('--cron <expr>', 'default NIGHTLY_CRON').option('--model <model>', 'default NIGHTLY_MODEL')
    .action((o) => done(withStack(async ({ config, client }) => {
      const r = await upsertNightlySchedule(client, config, { sites: o.site, cron: o.cron, model: o.model });
      process.stdout.write(`${r.created ? 'created' : 'updated'} schedule ${r.scheduleId}; inspect with: temporal schedule describe --schedule-id ${r.scheduleId}\n`);
      return 0;
    })));
}
