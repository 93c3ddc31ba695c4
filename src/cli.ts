// `sitesweep` command line: audit a site on a local stack it brings up itself, run the whole stack, or migrate.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { registerAiCommands } from './aiCli';
import { createApp } from './api/app';
import { HttpError, parseOr400 } from './api/errors';
import { getRunView, startSiteRun, type RunView } from './api/runService';
import { startRunSchema } from './api/schemas';
import { EXPORT_TYPES, writeExport } from './api/reports';
import { CHECKS_BY_CODE } from './audit/catalogue';
import { loadConfig, type Config } from './config';
import { openDatabase } from './db/dataSource';
import { createLogger, maskUrl } from './logger';
import { bringUpStack, ensureSearchAttributes, type Stack } from './stack';
import { connectClient, connectWorker } from './temporal/connection';
import { createSitesweepWorker } from './temporal/createWorker';
import type { RunSummary } from './workflows/contracts';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
  return n;
};

interface Running {
  stack: Stack;
  db: DataSource;
  client: Client;
  config: Config;
  stopWorker: () => Promise<void>;
  stop: () => Promise<void>;
}

/** Brings up Temporal + PostgreSQL (reusing what is configured or already running), migrations, and a worker. */
async function bringUp(opts: { allowPrivate?: boolean; quiet?: boolean }): Promise<Running> {
  // The SDK's own logs (worker state changes) would interleave with the progress display.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const env = { ...process.env };
  if (opts.allowPrivate) env.ALLOW_PRIVATE_TARGETS = 'true';
  let config = loadConfig(env);
  const log = createLogger(opts.quiet ? 'warn' : config.logLevel === 'info' ? 'warn' : config.logLevel, 'sitesweep');
  const say = (msg: string) => process.stderr.write(`${msg}\n`);
  say('Bringing up the local stack (Temporal dev server, PostgreSQL)…');
  const stack = await bringUpStack({ wantUi: true, config, log: { info: (o, m) => say(`  ${m ?? String(o)}`), warn: (o, m) => say(`  ${m ?? String(o)}`), error: (o, m) => say(`  ${m ?? String(o)}`), debug: () => {} } });
  config = loadConfig({
    ...env,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_NAMESPACE: stack.temporalNamespace,
    DATABASE_URL: stack.databaseUrl,
    ...(stack.temporalUiUrl ? { TEMPORAL_UI_URL: stack.temporalUiUrl } : {}),
  });
  say(`  Temporal ${stack.temporalAddress}${stack.temporalUiUrl ? ` (Web UI ${stack.temporalUiUrl})` : ''}; PostgreSQL ${maskUrl(stack.databaseUrl)}`);
  const db = await openDatabase({ url: stack.databaseUrl, migrate: true, poolSize: config.databasePoolSize });
  const client = await connectClient(config);
  const connection = await connectWorker(config);
  await ensureSearchAttributes(connection, config.temporal.namespace);
  const { worker, fetcher, politeness } = await createSitesweepWorker({ connection, config, db, log });
  const workerDone = worker.run();
  const stopWorker = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerDone.catch(() => {});
    await politeness.close().catch(() => {});
    await fetcher.close();
    await connection.close();
  };
  return {
    stack, db, client, config, stopWorker,
    stop: async () => {
      await stopWorker();
      await client.connection.close().catch(() => {});
      await db.destroy().catch(() => {});
      await stack.stop();
    },
  };
}

function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function formatSummary(view: RunView): string {
  const s = view.summary as RunSummary | null;
  const lines = [`\nRun ${view.runId} (${view.workflowId}): ${view.status}`];
  if (s) {
    lines.push(
      `  pages audited ${s.pagesAudited}, failed ${s.pagesFailed}, success rate ${(s.successRate * 100).toFixed(1)}%, duration ${fmtMs(s.durationMs)}`,
    );
    if (s.topFailReasons.length) lines.push(`  top failure reasons: ${s.topFailReasons.map((r) => `${r.reason} ×${r.count}`).join(', ')}`);
    // A table by severity: critical first, most frequent first within each.
    for (const sev of ['critical', 'warning', 'notice'] as const) {
      const rows = Object.entries(s.issuesByCode).filter(([code]) => (CHECKS_BY_CODE[code]?.severity ?? 'warning') === sev).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      if (rows.length === 0) continue;
      lines.push(`  ${sev.toUpperCase()} (${rows.reduce((n, [, c]) => n + c, 0)})`);
      for (const [code, n] of rows) lines.push(`    ${code.padEnd(32)} ${String(n).padStart(6)}  ${CHECKS_BY_CODE[code]?.title ?? ''}`);
    }
    if (s.delta) lines.push(`  since run ${s.delta.previousRunId}: ${s.delta.newFindings} new, ${s.delta.fixedFindings} fixed findings; ${s.delta.pagesAdded} pages added, ${s.delta.pagesRemoved} removed`);
    for (const si of s.siteIssues.slice(0, 20)) lines.push(`  site: ${si.code} (${si.count})${si.detail ? ` – ${si.detail}` : ''}: ${si.pages.slice(0, 3).join(', ')}`);
  } else if (view.error) {
    lines.push(`  error: ${view.error}`);
  }
  lines.push(`  Temporal Web UI: ${view.webUiUrl}`);
  return lines.join('\n');
}

async function auditCommand(url: string, o: Record<string, any>) {
  const options: Record<string, unknown> = {};
  if (o.maxPages !== undefined) options.maxPages = o.maxPages;
  if (o.maxDepth !== undefined) options.maxDepth = o.maxDepth;
  if (o.parallel !== undefined) options.parallelBatches = o.parallel;
  if (o.robots === false) options.respectRobots = false;
  if (o.sitemaps === false) options.useSitemaps = false;
  if (o.include) options.include = o.include;
  if (o.exclude) options.exclude = o.exclude;
  // Validate exactly as the API does, before anything starts.
  const body = parseOr400(startRunSchema, { url, idempotencyKey: o.key, options });

  const running = await bringUp({ allowPrivate: o.allowPrivate, quiet: true });
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nStopping: cancelling the run and shutting down what was started…\n');
  };
  process.on('SIGINT', onSigint);
  try {
    const started = await startSiteRun(running, body);
    process.stderr.write(`Run ${started.runId} started (workflow ${started.workflowId})\n  Web UI: ${started.webUiUrl}\n`);
    const bar = new SingleBar({
      format: ' {bar} {percentage}% | {value}/{total} pages | {failed} failed | {rate} pages/min | {stage} | eta {eta_s}',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 2_000,
      etaBuffer: 20,
    });
    bar.start(1, 0, { failed: 0, rate: 0, stage: 'queued', eta_s: '–' });
    let view = await getRunView(running, started.runId);
    while (!interrupted && (view.status === 'queued' || view.status === 'running')) {
      const c = view.counters;
      bar.setTotal(Math.max(1, c.discovered));
      bar.update(c.audited + c.failed, { failed: c.failed, rate: view.progress?.pagesPerMinute ?? 0, stage: view.stage, eta_s: fmtMs(view.progress?.etaMs) });
      await new Promise((r) => setTimeout(r, 500));
      view = await getRunView(running, started.runId);
    }
    if (interrupted) {
      await running.client.workflow.getHandle(started.workflowId).cancel().catch(() => {});
      bar.stop();
      return 130;
    }
    bar.update(view.counters.audited + view.counters.failed, { stage: view.status });
    bar.stop();
    if (o.exportDir && view.status === 'completed') {
      await mkdir(o.exportDir, { recursive: true });
      for (const type of EXPORT_TYPES) {
        const file = path.join(o.exportDir, `${type}.csv`);
        const out = createWriteStream(file);
        const rows = await writeExport(running.db, view.runId, type, 'csv', view.summary as RunSummary | null, out);
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        process.stderr.write(`  wrote ${file} (${rows} rows)\n`);
      }
    }
    if (o.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    else process.stdout.write(`${formatSummary(view)}\n`);
    return view.status === 'completed' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    await running.stop();
  }
}

async function stackCommand(o: Record<string, any>) {
  const running = await bringUp({ allowPrivate: o.allowPrivate });
  const log = createLogger(running.config.logLevel, 'api');
  const port = o.port ?? running.config.api.port;
  const server = createApp({ db: running.db, client: running.client, config: running.config, log }).listen(port, running.config.api.host);
  await new Promise((r) => server.once('listening', r));
  process.stderr.write(
    `\nSitesweep is up.\n  Dashboard + API: http://${running.config.api.host}:${port}/\n  Temporal: ${running.stack.temporalAddress}\n` +
      `  Temporal Web UI: ${running.stack.temporalUiUrl ?? running.config.temporal.uiUrl}\n  Ctrl-C stops what was started.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await new Promise((r) => server.close(r));
  await running.stop();
  return 0;
}

async function migrateCommand() {
  const config = loadConfig();
  let stack: Stack | null = null;
  let url = config.databaseUrl;
  if (!url) {
    stack = await bringUpStack({ wantUi: false, config });
    url = stack.databaseUrl;
  }
  const db = await openDatabase({ url, migrate: true });
  const applied = await db.query(`SELECT name FROM sitesweep_migrations ORDER BY id`);
  process.stdout.write(`Migrations applied: ${applied.map((m: { name: string }) => m.name).join(', ')}\n`);
  await db.destroy();
  if (stack) await stack.stop();
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('sitesweep').description('Durable full-site SEO audits on Temporal').exitOverride();
  let result: Promise<number> = Promise.resolve(0);
  program
    .command('audit')
    .description('audit a site: brings up what is missing, shows progress, prints the summary')
    .argument('<url>', 'site to audit (http or https)')
    .option('--max-pages <n>', 'stop after this many pages', int('--max-pages'))
    .option('--max-depth <n>', 'link depth limit', int('--max-depth'))
    .option('--parallel <n>', 'audit batches in flight', int('--parallel'))
    .option('--include <regex...>', 'only crawl URLs matching one of these')
    .option('--exclude <regex...>', 'never crawl URLs matching one of these')
    .option('--no-robots', 'ignore robots.txt rules')
    .option('--no-sitemaps', 'do not read sitemaps')
    .option('--key <idempotencyKey>', 'run key: the same key twice returns the same run')
    .option('--allow-private', 'allow loopback targets (e.g. a site on localhost); other networks: TARGET_ALLOWLIST')
    .option('--json', 'print the final run as JSON')
    .option('--export-dir <dir>', 'write pages.csv, issues.csv and links.csv of the finished run to this directory')
    .action((url: string, o) => void (result = auditCommand(url, o)));
  program
    .command('stack')
    .description('run Temporal, PostgreSQL, a worker and the API + dashboard until Ctrl-C')
    .option('--port <n>', 'API port', int('--port'))
    .option('--allow-private', 'allow loopback targets (other networks: TARGET_ALLOWLIST)')
    .action((o) => void (result = stackCommand(o)));
  program.command('migrate').description('apply database migrations').action(() => void (result = migrateCommand()));
  registerAiCommands(program, (p) => void (result = p));
  try {
    await program.parseAsync(argv);
    return await result;
  } catch (err: any) {
    if (err?.code === 'commander.helpDisplayed' || err?.code === 'commander.version' || err?.code === 'commander.help') return 0;
    if (err?.code?.startsWith?.('commander.')) return 2;
    if (err instanceof HttpError) {
      process.stderr.write(`sitesweep: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`sitesweep: ${err?.message ?? err}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => process.exit(code));
}
