// `sitesweep` command line: audit a site on a local stack it brings up itself, run the whole stack, or migrate.
import { createWriteStream, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { registerAiCommands } from './aiCli';
import { registerServiceCommands, takeCtrlC } from './cliCommands';
import { firstLine } from './startup';
import { sendBudgetEvent } from './alerts/cliEvents';
import { alerts, initAlerts } from './alerts/sentry';
import { createApp } from './api/app';
import { listenApi } from './api/listen';
import { findRunRow, getRunView, startSiteRun, validateRunRequest } from './api/runService';
import { startRunSchema } from './api/schemas';
import { buildHtmlReport, buildRunReport, EXPORT_TYPES, writeExport, type RunReport } from './api/reports';
import { DomainError, invalidInput, parseOr400 } from './errors';
import { evaluateBudgets } from './audit/budgets';
import { formatRate } from './audit/progress';
import { formatDuration, formatRunSummary, SITE_EXAMPLES_PER_KIND, terminalSafe } from './reports/text';
import { nothingAuditedError, onlyHttpErrors } from './audit/records';
import { seedPage } from './db/repositories/pages';
import { siteIssueExamples } from './db/repositories/siteIssues';
import { cliEnv, CONFIG_FILE_NAME, prepareOutputDir, readConfigFile, readCredentials, resolveRunSettings, RUN_FLAGS, type OutputFormat } from './cliConfig';
import { ConfigError, loadConfig, withLocalTemporal, type Config } from './config';
import { appliedMigrations, openDatabase } from './db/dataSource';
import type { RunRow } from './db/repositories/runs';
import { createLogger, maskUrl } from './logger';
import { bringUpStack, ensureSearchAttributes, startLocalPostgres, type LocalPostgres, type Stack } from './stack';
import { backgroundChecksDone } from './temporal/closedExecution';
import { connectClient, connectWorker } from './temporal/connection';
import { createSitesweepWorker, runSitesweepWorker } from './temporal/createWorker';
import { shutdownTracing } from './temporal/tracing';
import { cliTaskQueue } from './temporal/isolation';
import { cancelAndWaitForClose, closerClosed, WORKFLOW_CLOSE_WAIT_MS, workflowClosed } from './temporal/workflowClosed';
import { installSdkRuntime } from './temporal/runtime';
import { exitAfterOutput, stopQuietlyWhenStdoutCloses } from './exitAfterOutput';
import type { RunSummary } from './workflows/contracts';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
  return n;
};

/** Bringing up the stack failed: `message` is one paragraph saying what failed and what to do. */
export class StackUpError extends Error {}

/** One paragraph for a failure to bring up `what`, with the fix we can suggest. */
export function explainStackFailure(what: 'stack' | 'database' | 'temporal', err: unknown): string {
  const reason = firstLine(err);
  const pgLike = /postgres|initdb|pg_ctl|data dir/i.test(reason);
  if (what === 'database' || (what === 'stack' && pgLike)) {
    return `Could not start or reach PostgreSQL (${reason}). Set DATABASE_URL to a PostgreSQL server you can reach, or let sitesweep run its local one: it needs a writable temporary directory (${process.env.TMPDIR ?? '/tmp'}) and, when you are root, runs as the "postgres" user from a copy of its binaries there. Run again with LOG_LEVEL=debug to see PostgreSQL's own output.`;
  }
  return `Could not start or reach Temporal (${reason}). Set TEMPORAL_ADDRESS to a reachable Temporal server (and TEMPORAL_NAMESPACE, or a Temporal envconfig profile), or let sitesweep start a local dev server: put the \`temporal\` CLI on PATH or point TEMPORAL_CLI_PATH at it (with Go installed it is built once automatically). Run again with LOG_LEVEL=debug for details.`;
}

const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number`);
  return n;
};

function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(path.join(__dirname, rel), 'utf8')) as { version: string }).version;
    } catch {}
  }
  return 'unknown';
}

const AUDIT_HELP = `
Examples:
  $ npm run audit -- https://example.com
  $ sitesweep audit https://example.com --max-pages 200 --crawl-delay 500 --user-agent "MyBot/1.0"
  $ sitesweep audit http://localhost:8080 --allow-private --fail-on critical --min-score 90
  $ sitesweep audit https://example.com --output json,csv,html --output-dir reports/
  $ sitesweep audit --config ci/sitesweep.config.json --max-new-findings 0

Exit codes: 0 ok · 1 the run failed, no page could be audited, every page answered an HTTP error, or the stack could not start · 2 bad input · 3 a budget is broken · 130 interrupted

Settings, highest precedence first: flags > environment > config file (./${CONFIG_FILE_NAME} or --config) > defaults.
Environment:
  SITESWEEP_URL, SITESWEEP_<OPTION> for every run option (e.g. SITESWEEP_MAX_PAGES, SITESWEEP_CRAWL_DELAY_MS,
  SITESWEEP_USER_AGENT, SITESWEEP_RESPECT_ROBOTS=false), SITESWEEP_FAIL_ON, SITESWEEP_MIN_SCORE,
  SITESWEEP_MAX_NEW_FINDINGS, SITESWEEP_OUTPUT, SITESWEEP_OUTPUT_DIR, SITESWEEP_ALLOW_PRIVATE
  Credentials (never on the command line): SITESWEEP_AUTH_USER / SITESWEEP_AUTH_PASSWORD, SITESWEEP_HEADERS and
  SITESWEEP_COOKIES (JSON objects), or SITESWEEP_CREDENTIALS_FILE (JSON {"auth","headers","cookies"})
  Stack: DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TEMPORAL_CLI_PATH, SITESWEEP_HOME,
  ALLOW_PRIVATE_TARGETS, TARGET_ALLOWLIST, SECRETS_KEY, LOG_LEVEL (see README, Configuration)
`;

interface Running {
  stack: Stack;
  db: DataSource;
  client: Client;
  config: Config;
  stopWorker: () => Promise<void>;
  stop: () => Promise<void>;
}

/** Brings up Temporal + PostgreSQL (reusing what is configured or already running), migrations, and a worker. */
async function bringUp(opts: { allowPrivate?: boolean; quiet?: boolean; credentials?: boolean }): Promise<Running> {
  const env = cliEnv(opts.allowPrivate);
  // Credentials are sealed before they enter history; the CLI's own worker can use a key that lives only in this process.
  if (opts.credentials && !env.SECRETS_KEY) env.SECRETS_KEY = randomBytes(24).toString('hex');
  let config = loadConfig(env);
  const log = createLogger(opts.quiet ? 'warn' : config.logLevel === 'info' ? 'warn' : config.logLevel, 'sitesweep', 'stderr');
  initAlerts(config, log, 'cli');
  const say = (msg: string) => process.stderr.write(`${msg}\n`);
  say('Bringing up the local stack (Temporal dev server, PostgreSQL)…');
  const debug = config.logLevel === 'debug' || config.logLevel === 'trace';
  const line = (o: unknown, m?: string) => say(`  ${m ?? String(o)}`);
  let stack: Stack;
  try {
    stack = await bringUpStack({ wantUi: true, config, log: { info: line, warn: line, error: line, debug: debug ? (o, m) => say(`  ${m ?? ''} ${JSON.stringify(o)}`) : () => {} } });
  } catch (err) {
    throw new StackUpError(explainStackFailure('stack', err), { cause: err });
  }
  config = loadConfig({
    ...env,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_NAMESPACE: stack.temporalNamespace,
    DATABASE_URL: stack.databaseUrl,
    ...(stack.temporalUiUrl ? { TEMPORAL_UI_URL: stack.temporalUiUrl } : {}),
  });
  // A local server (ours or one on the default port) speaks plain gRPC: a profile's TLS/API key is for the configured one.
  if (!stack.temporalConfigured) config = withLocalTemporal(config, stack.temporalAddress);
  // Never poll a shared task queue with a worker bound to a database the other workers do not use, or with a target
  // policy they do not have (see isolation.ts).
  const queue = cliTaskQueue({ config, databaseFromEnv: Boolean(env.DATABASE_URL), temporalShared: stack.temporalShared, home: config.home, allowPrivate: config.crawl.allowPrivateTargets });
  if (queue.taskQueue !== config.temporal.taskQueue) {
    say(`  ${queue.reason}`);
    config = { ...config, temporal: { ...config.temporal, taskQueue: queue.taskQueue } };
  }
  say(`  Temporal ${stack.temporalAddress}${stack.temporalUiUrl ? ` (Web UI ${stack.temporalUiUrl})` : ''}; PostgreSQL ${maskUrl(stack.databaseUrl)}`);
  let db: DataSource;
  try {
    db = await openDatabase({ url: stack.databaseUrl, migrate: true, poolSize: config.databasePoolSize });
  } catch (err) {
    await stack.stop().catch(() => {});
    throw new StackUpError(explainStackFailure('database', err), { cause: err });
  }
  let client: Client;
  let connection: Awaited<ReturnType<typeof connectWorker>>;
  let created: Awaited<ReturnType<typeof createSitesweepWorker>>;
  try {
    // The SDK's own logs (worker state changes) at WARN through pino, so they do not interleave with the progress
    // display; a run's failure is the command's own message.
    // Ctrl-C is the command's to handle: it cancels the run and needs this worker to carry the cancellation out, so the
    // SDK must not start shutting the worker down on SIGINT (it did, and the run stayed "running").
    await installSdkRuntime(config, log, { level: 'WARN', outcomesReported: true, shutdownSignals: ['SIGTERM', 'SIGQUIT', 'SIGUSR2'] });
    client = await connectClient(config);
    connection = await connectWorker(config);
    await ensureSearchAttributes(connection, config.temporal.namespace, log);
    created = await createSitesweepWorker({ connection, config, db, log });
  } catch (err) {
    await db.destroy().catch(() => {});
    await stack.stop().catch(() => {});
    throw new StackUpError(explainStackFailure('temporal', err), { cause: err });
  }
  const running = runSitesweepWorker(created);
  const stopWorker = async () => {
    await running.stop();
    await connection.close();
  };
  return {
    stack, db, client, config, stopWorker,
    stop: async () => {
      await stopWorker();
      await alerts().flush();
      await shutdownTracing().catch(() => {});
      await client.connection.close().catch(() => {});
      await db.destroy().catch(() => {});
      await stack.stop();
    },
  };
}

async function auditCommand(urlArg: string | undefined, o: Record<string, any>, cmd: Command) {
  const fromCli = (attr: string) => (cmd.getOptionValueSource(attr) === 'cli' ? cmd.getOptionValue(attr) : undefined);
  const { config: file } = readConfigFile(o.config, process.cwd());
  const settings = resolveRunSettings({ get: fromCli }, process.env, file, urlArg);
  if (!settings.url) throw invalidInput('url: give the site to audit as an argument, SITESWEEP_URL or "url" in the config file', []);
  if (settings.output.length && !settings.outputDir) settings.outputDir = '.';
  const options = { ...settings.options, ...readCredentials(process.env, process.cwd()) };
  const budgets = settings.budgets;
  const o2 = { ...o, allowPrivate: settings.allowPrivate };
  // Validate exactly as the API does, before anything starts: a refused target or render: "chromium" without a
  // Chromium is one line now, not after a stack was brought up for nothing.
  const body = parseOr400(startRunSchema, { url: settings.url, idempotencyKey: o.key, options });
  await validateRunRequest(loadConfig(cliEnv(o2.allowPrivate)), body);
  // Where the files go, ready before the audit (a file in the way was found only after it).
  if (settings.output.length && settings.outputDir) prepareOutputDir(settings.outputDir, settings.outputDirSource);
  if (o.exportDir) prepareOutputDir(o.exportDir, '--export-dir');
  const ctrlC = takeCtrlC('Stopping: cancelling the run and shutting down what was started…');
  let running: Running | undefined;
  try {
    running = await bringUp({ allowPrivate: o2.allowPrivate, quiet: true, credentials: Boolean(options.auth || options.headers || options.cookies) });
    if (ctrlC.interrupted()) {
      process.stderr.write('Interrupted before the run started: no run was started.\n');
      return 130;
    }
    const started = await startSiteRun(running, body);
    // The same --key again returns the run it named (its options stay the ones it started with): say so.
    const again = started.created ? '' : ' earlier with this --key; following it (its options are the ones it started with)';
    process.stderr.write(`Run ${started.runId} started${again} (workflow ${started.workflowId})\n  Web UI: ${started.webUiUrl}\n`);
    const bar = new SingleBar({
      format: ' {bar} {percentage}% | {value}/{total} pages | {failed} failed | {rate} pages/min | {stage} | eta {eta_s}',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 2_000,
      etaBuffer: 20,
    });
    bar.start(1, 0, { failed: 0, rate: 0, stage: 'queued', eta_s: '–' });
    let view = await getRunView(running, started.runId);
    while (!ctrlC.interrupted() && (view.status === 'queued' || view.status === 'running')) {
      const c = view.counters;
      bar.setTotal(Math.max(1, c.discovered));
      bar.update(c.audited + c.failed, { failed: c.failed, rate: formatRate(view.progress?.pagesPerMinute ?? 0), stage: view.stage, eta_s: formatDuration(view.progress?.etaMs) });
      await new Promise((r) => setTimeout(r, 500));
      view = await getRunView(running, started.runId);
    }
    if (ctrlC.interrupted()) {
      bar.stop();
      const closed = await cancelAndWaitForClose(running.client, started.workflowId);
      if (closed) await closerClosed(running.client, 'run', started.workflowId);
      // The view, not the row: it settles a row whose closer has not written its status yet.
      const row = closed ? await getRunView(running, started.runId).catch(() => null) : null;
      process.stderr.write(closed
        ? `Run ${started.runId} ${row?.status ?? 'cancelled'}.\n`
        : `Run ${started.runId}: cancellation requested; its workflow had not closed after ${WORKFLOW_CLOSE_WAIT_MS / 1000} s, so it ends the next time a worker runs.\n`);
      return 130;
    }
    // Before this process's worker stops: the workflow and its closer (see workflowClosed.ts).
    if (!(await workflowClosed(running.client, started.workflowId))) {
      process.stderr.write(`  the run's workflow has not closed ${WORKFLOW_CLOSE_WAIT_MS / 1000} s after its row did; stopping the worker anyway\n`);
    } else {
      await closerClosed(running.client, 'run', started.workflowId);
    }
    // The last frame from the final view: a run whose only URL failed used to end on "1/1 pages | 0 failed", and a
    // finished run on "0 pages/min" (the live rate after the crawl): the whole run's rate instead.
    const done = view.counters.audited + view.counters.failed;
    // A run that ended before the second poll still had its first total (1, the start URL): "6/1 pages".
    bar.setTotal(Math.max(1, view.counters.discovered, done));
    const minutes = ((view.summary as RunSummary | null)?.durationMs ?? 0) / 60_000;
    bar.update(done, { failed: view.counters.failed, stage: view.status, eta_s: '–', ...(minutes > 0 ? { rate: formatRate(done / minutes) } : {}) });
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
    // An audit of nothing (the site down or unreachable from here) is not a pass: the run fails once summarized (a run
    // of an older worker may still have completed), and a build gate must not go green on it. Say why.
    const summarized = view.summary as RunSummary | null;
    const nothing = summarized && nothingAuditedError(view.counters.audited, view.counters.failed, summarized.topFailReasons[0]?.reason);
    const run = await findRunRow(running.db, view.runId);
    const report = view.status === 'completed' && !nothing ? await buildRunReport(running.db, running.config, run) : null;
    if (o.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    else {
      const siteExamples = summarized ? await siteIssueExamples(running.db, view.runId, SITE_EXAMPLES_PER_KIND) : undefined;
      process.stdout.write(`${formatRunSummary({ ...view, summary: summarized, ...(siteExamples ? { siteExamples } : {}), ...(report ? { health: report } : {}) })}\n`);
    }
    if (nothing && view.status !== 'cancelled') {
      process.stderr.write(`\nNo page could be audited (exit 1): ${nothing}. Is the site up, and reachable from this machine?\n`);
      return 1;
    }
    // A run that only met HTTP errors (a mistyped start URL answers 404 and links nowhere) completed, but audited no
    // page of a site: not a pass either.
    const errorsOnly = summarized && view.status === 'completed' ? onlyHttpErrors(summarized.statusCodes) : null;
    if (errorsOnly) {
      process.stderr.write(`\nEvery page answered an HTTP error (exit 1): ${errorsOnly}. Is the URL right, and is the site serving?\n`);
      return 1;
    }
    if (!report) return 1;
    // A mistyped start URL whose site has a sitemap still audits the site, with the 404 lost among its pages: say so.
    const seed = await seedPage(running.db, view.runId);
    if (seed && (seed.failure_reason || (seed.status_code ?? 0) >= 400)) {
      process.stderr.write(`  note: the start URL ${terminalSafe(seed.url)} ${seed.failure_reason ? `failed (${seed.failure_reason})` : `answered HTTP ${seed.status_code}`}; the other pages came from the site's sitemaps and links. Is the URL right?\n`);
    }
    if (settings.output.length && settings.outputDir) await writeOutputs(running, run, report, settings.output, settings.outputDir);
    const delta = summarized?.delta;
    const broken = evaluateBudgets(budgets, {
      bySeverity: report.bySeverity, healthScore: report.healthScore,
      newFindings: delta ? delta.newFindings : null, previousRunId: delta?.previousRunId ?? null,
    });
    if (budgets.maxNewFindings !== undefined && !delta) process.stderr.write('  --max-new-findings: no previous completed run of this site to compare with; not checked\n');
    if (broken.length) {
      process.stderr.write(`\nBudget broken (exit 3):\n${broken.map((b) => `  ${b.message}`).join('\n')}\n`);
      // WEBHOOK_URL: a run.budget_broken event, delivered (with retries) by the CLI's own worker.
      const sent = await sendBudgetEvent(
        { client: running.client, taskQueue: running.config.temporal.taskQueue, webhookConfigured: Boolean(running.config.alerts.webhook) },
        { runId: view.runId, workflowId: view.workflowId, siteUrl: settings.url },
        broken,
      ).catch((err: unknown) => `failed (${(err as Error).message})`);
      if (sent !== 'off') process.stderr.write(`  webhook event run.budget_broken: ${sent}\n`);
      return 3;
    }
    if (Object.keys(budgets).length) process.stderr.write('  budgets: all met\n');
    return 0;
  } finally {
    ctrlC.release();
    await running?.stop();
  }
}

/** --output json,csv,html into --output-dir: the full report JSON, issues/pages CSV, one self-contained HTML. */
async function writeOutputs(running: Running, run: RunRow, report: RunReport, formats: OutputFormat[], dir: string) {
  await mkdir(dir, { recursive: true });
  const wrote = (file: string, what: string) => process.stderr.write(`  wrote ${file}${what ? ` (${what})` : ''}\n`);
  if (formats.includes('json')) {
    const file = path.join(dir, 'report.json');
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    wrote(file, '');
  }
  if (formats.includes('csv')) {
    for (const type of ['issues', 'pages'] as const) {
      const file = path.join(dir, `${type}.csv`);
      const out = createWriteStream(file);
      const rows = await writeExport(running.db, run.id, type, 'csv', null, out);
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      wrote(file, `${rows} rows`);
    }
  }
  if (formats.includes('html')) {
    const file = path.join(dir, 'report.html');
    await writeFile(file, await buildHtmlReport(running.db, running.config, run, report));
    wrote(file, '');
  }
}

async function stackCommand(o: Record<string, any>) {
  const running = await bringUp({ allowPrivate: o.allowPrivate });
  const log = createLogger(running.config.logLevel, 'api');
  const port = o.port ?? running.config.api.port;
  const server = listenApi(createApp({ db: running.db, client: running.client, config: running.config, log }), port, running.config.api.host);
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
  await backgroundChecksDone();
  await running.stop();
  return 0;
}

/** Migrations need PostgreSQL only: DATABASE_URL, or the local cluster (it started a Temporal dev server too). */
async function migrateCommand() {
  const config = loadConfig();
  const pg: LocalPostgres | null = config.databaseUrl
    ? null
    : await startLocalPostgres({ dataDir: path.join(config.home, 'pg'), persistent: true }).catch((err: unknown) => {
      throw new StackUpError(explainStackFailure('database', err), { cause: err });
    });
  try {
    const db = await openDatabase({ url: config.databaseUrl ?? pg!.url, migrate: true }).catch((err: unknown) => {
      throw new StackUpError(explainStackFailure('database', err), { cause: err });
    });
    try {
      process.stdout.write(`Migrations applied: ${(await appliedMigrations(db)).join(', ')}\n`);
    } finally {
      await db.destroy();
    }
  } finally {
    if (pg && !pg.reused) await pg.stop().catch(() => {});
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('sitesweep')
    .description('Durable full-site SEO audits on Temporal')
    .version(packageVersion(), '-V, --version')
    .addHelpText('after', AUDIT_HELP)
    // Commander's own refusals (an unknown option, a bad value) read like every other message: "sitesweep: …".
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'sitesweep: ')) })
    .exitOverride();
  let result: Promise<number> = Promise.resolve(0);
  const audit = program
    .command('audit')
    .description('audit a site: brings up what is missing, shows progress, prints the summary')
    .argument('[url]', 'site to audit (http or https); or SITESWEEP_URL, or "url" in the config file');
  for (const f of RUN_FLAGS) audit.option(f.flag, f.help, ...((f.kind === 'int' ? [int(f.flag.split(' ')[0])] : []) as []));
  audit
    .option('--fail-on <severity>', 'exit 3 when any finding of this severity or worse exists (critical|warning)')
    .option('--min-score <0-100>', 'exit 3 when the health score is below this', num('--min-score'))
    .option('--max-new-findings <n>', 'exit 3 when more findings than this are new since the previous run of the site', int('--max-new-findings'))
    .option('--output <formats>', 'report files to write: json,csv,html (any of them, comma-separated)')
    .option('--output-dir <dir>', 'where --output files go (default: the working directory)')
    .option('--config <file>', `config file (default: ./${CONFIG_FILE_NAME} when present)`)
    .option('--key <idempotencyKey>', 'run key: the same key twice returns the same run')
    .option('--allow-private', 'allow loopback targets (e.g. a site on localhost); other networks: TARGET_ALLOWLIST')
    .option('--json', 'print the final run as JSON')
    .option('--export-dir <dir>', 'write pages.csv, issues.csv and links.csv of the finished run to this directory')
    .addHelpText('after', AUDIT_HELP)
    .action((url: string | undefined, o, cmd: Command) => void (result = auditCommand(url, o, cmd)));
  program
    .command('stack')
    .description('run Temporal, PostgreSQL, a worker and the API + dashboard until Ctrl-C')
    .option('--port <n>', 'API port', int('--port'))
    .option('--allow-private', 'allow loopback targets (other networks: TARGET_ALLOWLIST)')
    .action((o) => void (result = stackCommand(o)));
  program.command('migrate').description('apply database migrations').action(() => void (result = migrateCommand()));
  registerAiCommands(program, (p) => void (result = p));
  registerServiceCommands(program, (p) => void (result = p), bringUp);
  try {
    await program.parseAsync(argv);
    return await result;
  } catch (err: any) {
    if (err?.code === 'commander.helpDisplayed' || err?.code === 'commander.version' || err?.code === 'commander.help') return 0;
    if (err?.code?.startsWith?.('commander.')) return 2;
    if (err instanceof StackUpError) {
      process.stderr.write(`sitesweep: ${err.message}\n`);
      return 1;
    }
    // A bad environment value (DATABASE_POOL_SIZE=abc, LOG_LEVEL=loud): bad input, named, like a bad flag.
    if (err instanceof ConfigError) {
      process.stderr.write(`sitesweep: ${err.message}\n`);
      return 2;
    }
    if (err instanceof DomainError) {
      process.stderr.write(`sitesweep: ${err.message}\n`);
      // A refusal of the input is exit 2; a dependency that is unavailable (database unreachable) is 1.
      return err.kind === 'unavailable' ? 1 : 2;
    }
    process.stderr.write(`sitesweep: ${err?.message ?? err}\n`);
    return 1;
  }
}

/** The process entry (bin/sitesweep.js, `node dist/src/cli.js`): one line for whatever escapes, then exit. */
export function runCli(argv: string[] = process.argv): void {
  // Whatever escapes (a library's stray rejection): one line, never a stack trace unless LOG_LEVEL=debug.
  const fatal = (err: unknown) => {
    const text = process.env.LOG_LEVEL === 'debug' && err instanceof Error ? err.stack : /postgres|initdb|temporal|spawn|ECONNREFUSED/i.test(firstLine(err)) ? explainStackFailure('stack', err) : firstLine(err);
    process.stderr.write(`sitesweep: ${text}\n`);
    exitAfterOutput(1);
  };
  process.on('unhandledRejection', fatal);
  process.on('uncaughtException', fatal);
  stopQuietlyWhenStdoutCloses();
  void main(argv).then(exitAfterOutput, fatal);
}

if (require.main === module) runCli();
