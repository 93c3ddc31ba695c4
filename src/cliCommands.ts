// `sitesweep batch|report|compare|export|cancel|runs|worker|api`: what the HTTP API does, from the command line. Each
// is a thin call to the service the API route calls (src/api/runService.ts, batches.ts, reports.ts), so validation,
// errors and results are the same; a refusal is a DomainError, which main() prints as one line (exit 2, or 1 when unavailable).
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import type { DataSource } from 'typeorm';
import { batchView, findBatchRow, startBatch, validateBatchRequest, type BatchView } from './api/batches';
import { buildHtmlReport, buildRunReport, compareQuerySchema, compareRunView, EXPORT_TYPES, exportQuerySchema, writeExport, type ExportType } from './api/reports';
import { cancelRun, findRunRow, getRunView, listRuns } from './api/runService';
import { listRunsQuerySchema } from './api/schemas';
import { invalidInput, parseOr400 } from './errors';
import { cliEnv, prepareOutputDir, readConfigFile, readCredentials, resolveRunSettings, RUN_FLAGS } from './cliConfig';
import { loadConfig, type Config } from './config';
import { openDatabase } from './db/dataSource';
import { siteIssueExamples } from './db/repositories/siteIssues';
import { bringUpStack, startLocalPostgres } from './stack';
import { connectClient } from './temporal/connection';
import { backgroundChecksDone, waitAtMost } from './temporal/closedExecution';
import { cancelAndWaitForClose, closerClosed, WORKFLOW_CLOSE_WAIT_MS, workflowClosed } from './temporal/workflowClosed';
import { needsWorkerMemorySettings, workerMemoryEnv } from './workerMemory';
import { formatRunReport, SITE_EXAMPLES_PER_KIND, terminalSafe } from './reports/text';

/** What `bringUp` in cli.ts returns that these commands use (a stack, migrations and an in-process worker). */
export interface RunningStack {
  db: DataSource;
  client: Client;
  config: Config;
  /** What the command started itself ('temporal', 'postgres'): it stops them when it ends. */
  stack: { started: string[] };
  stop: () => Promise<void>;
}
/**
 * A SIGINT this soon after the first is the same Ctrl-C delivered twice: `npm run` forwards the signal to the command
 * that the terminal already sent it to (and tsx's own command relayed it once more): taken as a second Ctrl-C, it
 * ended the command at once, 0.2 s after the first, with the run left running (2 of 4 tries under `npm run audit`).
 */
export const CTRL_C_REPEAT_MS = 1_000;

/**
 * Ctrl-C belongs to a command that starts a run from before its stack comes up (a signal during the bring-up used to
 * stop what had started so far and leave the rest running, or let the run start anyway): the first one asks the
 * command to stop (`interrupted()`), another one after CTRL_C_REPEAT_MS exits at once. `release()` gives the signal
 * back.
 */
export function takeCtrlC(stopping: string, now: () => number = Date.now): { interrupted: () => boolean; release: () => void } {
  let firstAt: number | null = null;
  const onSigint = () => {
    if (firstAt !== null) {
      if (now() - firstAt >= CTRL_C_REPEAT_MS) process.exit(130);
      return;
    }
    firstAt = now();
    process.stderr.write(`\n${stopping} (Ctrl-C again to quit at once)\n`);
  };
  process.on('SIGINT', onSigint);
  return { interrupted: () => firstAt !== null, release: () => void process.off('SIGINT', onSigint) };
}

export type BringUp = (opts: { allowPrivate?: boolean; quiet?: boolean; credentials?: boolean }) => Promise<RunningStack>;

// Human-readable lines carry text from audited sites: terminalSafe (JSON output has its control characters escaped).
const out = (s: string) => process.stdout.write(terminalSafe(s.endsWith('\n') ? s : `${s}\n`));
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
const json = (v: unknown) => out(JSON.stringify(v, null, 2));

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
  return n;
};

/** The database only (reports, exports, listings): DATABASE_URL, else the local PostgreSQL `sitesweep audit` uses. */
async function withDb<T>(fn: (deps: { db: DataSource; config: Config }) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const pg = config.databaseUrl ? null : await startLocalPostgres({ dataDir: path.join(config.home, 'pg'), persistent: true });
  const db = await openDatabase({ url: config.databaseUrl ?? pg!.url, migrate: !config.databaseUrl });
  try {
    return await fn({ db, config });
  } finally {
    await db.destroy().catch(() => {});
    if (pg && !pg.reused) await pg.stop().catch(() => {});
  }
}

/** Database and Temporal client (no worker): the configured ones, or the local stack. */
async function withClient<T>(fn: (deps: { db: DataSource; client: Client; config: Config }) => Promise<T>): Promise<T> {
  const configured = loadConfig();
  const stack = await bringUpStack({ wantUi: false, config: configured });
  const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_NAMESPACE: stack.temporalNamespace, DATABASE_URL: stack.databaseUrl });
  // The local database is migrated here; a configured one is migrated by its owner (`sitesweep migrate`).
  const db = await openDatabase({ url: stack.databaseUrl, migrate: !configured.databaseUrl });
  const client = await connectClient(config);
  try {
    return await fn({ db, client, config });
  } finally {
    await client.connection.close().catch(() => {});
    await db.destroy().catch(() => {});
    await stack.stop().catch(() => {});
  }
}

async function endStream(s: Writable): Promise<void> {
  await new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/** "2 of 3 domains completed, 1 failed": it said "1/2 done" of a batch whose two domains had both ended, one failed. */
function batchLine(v: BatchView): string {
  return `batch ${v.batchId}: ${v.status}, ${v.completedDomains} of ${v.totalDomains} domain${v.totalDomains === 1 ? '' : 's'} completed, ${v.failedDomains} failed, ${v.cancelledDomains} cancelled`;
}

function formatBatch(v: BatchView): string {
  const lines = [batchLine(v)];
  for (const [domain, s] of Object.entries(v.domainStatuses)) {
    lines.push(`  ${domain.padEnd(40)} ${s.status.padEnd(10)} run ${s.runId ?? '–'}  pages ${s.pagesAudited ?? 0}${s.error ? `  error: ${s.error}` : ''}`);
  }
  lines.push(`  Temporal Web UI: ${v.webUiUrl}`);
  return lines.join('\n');
}

async function batchCommand(bringUp: BringUp, domains: string[], o: Record<string, any>, cmd: Command): Promise<number> {
  const fromCli = (attr: string) => (cmd.getOptionValueSource(attr) === 'cli' ? cmd.getOptionValue(attr) : undefined);
  const { config: file } = readConfigFile(o.config, process.cwd());
  const settings = resolveRunSettings({ get: fromCli }, process.env, file);
  const options = { ...settings.options, ...readCredentials(process.env, process.cwd()) };
  const body = {
    domains,
    ...(o.key ? { idempotencyKey: o.key } : {}),
    ...(Object.keys(options).length ? { options } : {}),
    ...(o.maxConcurrentSites !== undefined ? { maxConcurrentSites: o.maxConcurrentSites } : {}),
  };
  // Judged as the API judges it (domains, patterns, targets) before a stack is brought up for nothing.
  await validateBatchRequest(loadConfig(cliEnv(settings.allowPrivate)), body);
  const ctrlC = takeCtrlC('Stopping: cancelling the batch and shutting down what was started…');
  let running: RunningStack | undefined;
  try {
    running = await bringUp({ allowPrivate: settings.allowPrivate, quiet: true, credentials: Boolean(options.auth || options.headers || options.cookies) });
    if (ctrlC.interrupted()) {
      err('Interrupted before the batch started: no batch was started.');
      return 130;
    }
    const started = await startBatch(running, body);
    err(`Batch ${started.batchId} ${started.created ? 'started' : 'already exists'} (workflow ${started.workflowId}, ${started.totalDomains} domain${started.totalDomains === 1 ? '' : 's'})\n  Web UI: ${started.webUiUrl}`);
    if (o.wait === false) {
      // The Temporal server this command started stops with it, and with it the only worker: the batch waits, safe in
      // the server's state, until a worker runs again. Say so rather than let "started" suggest it is running.
      if (running.stack.started.includes('temporal')) {
        err('  Nothing runs it until a worker does: this command started the local Temporal server and stops it now. Run `sitesweep stack` (or `sitesweep worker` against a shared server) to carry it out.');
      }
      if (o.json) json(started);
      else out(started.batchId);
      return 0;
    }
    let view = await batchView(running, await findBatchRow(running.db, started.batchId));
    let last = '';
    while (!ctrlC.interrupted() && ['queued', 'running'].includes(view.status)) {
      const line = batchLine(view);
      if (line !== last) err(`  ${(last = line)}`);
      await new Promise((r) => setTimeout(r, 1_000));
      view = await batchView(running, await findBatchRow(running.db, started.batchId));
    }
    if (ctrlC.interrupted()) {
      const closed = await cancelAndWaitForClose(running.client, started.workflowId);
      if (closed) await closerClosed(running.client, 'batch', started.workflowId);
      err(closed
        ? `Batch ${started.batchId} cancelled.`
        : `Batch ${started.batchId}: cancellation requested; its workflow had not closed after ${WORKFLOW_CLOSE_WAIT_MS / 1000} s, so it ends the next time a worker runs.`);
      return 130;
    }
    // Before this process's worker stops: the workflow and its closer (see workflowClosed.ts).
    if (!(await workflowClosed(running.client, started.workflowId))) err(`  the batch's workflow has not closed ${WORKFLOW_CLOSE_WAIT_MS / 1000} s after its row did; stopping the worker anyway`);
    else await closerClosed(running.client, 'batch', started.workflowId);
    if (o.json) json(view);
    else out(formatBatch(view));
    return view.status === 'completed' && view.failedDomains === 0 ? 0 : 1;
  } finally {
    ctrlC.release();
    await running?.stop();
  }
}

async function reportCommand(runId: string, o: Record<string, any>): Promise<number> {
  return withDb(async ({ db, config }) => {
    const run = await findRunRow(db, runId);
    const report = await buildRunReport(db, config, run);
    if (o.html) {
      await mkdir(path.dirname(path.resolve(o.html)), { recursive: true });
      await writeFile(o.html, await buildHtmlReport(db, config, run, report));
      err(`wrote ${o.html}`);
    }
    if (o.json) {
      json(report);
      return 0;
    }
    out(formatRunReport({ ...report, siteExamples: await siteIssueExamples(db, run.id, SITE_EXAMPLES_PER_KIND) }));
    return 0;
  });
}

async function compareCommand(runId: string, o: Record<string, any>): Promise<number> {
  const q = parseOr400(compareQuerySchema, { ...(o.with ? { with: o.with } : {}), ...(o.limit !== undefined ? { limit: o.limit } : {}) });
  return withDb(async ({ db }) => {
    const c = await compareRunView(db, await findRunRow(db, runId), q);
    if (o.json) {
      json(c);
      return 0;
    }
    const lines = [
      `Run ${c.runId} against ${c.withRunId}: ${c.counts.new} new, ${c.counts.fixed} fixed, ${c.counts.persisting} persisting findings; ${c.counts.pagesAdded} pages added, ${c.counts.pagesRemoved} removed`,
    ];
    if (c.note) lines.push(`  note: ${c.note}`);
    for (const [label, list] of [['new', c.newFindings], ['fixed', c.fixedFindings]] as const) {
      for (const f of list.slice(0, 50)) lines.push(`  ${label.padEnd(5)} ${f.code.padEnd(32)} ${f.url}`);
    }
    out(lines.join('\n'));
    return 0;
  });
}

async function exportCommand(runId: string, o: Record<string, any>): Promise<number> {
  const types: string[] = o.type ?? (o.outputDir ? [...EXPORT_TYPES] : ['pages']);
  const queries = types.map((type) => parseOr400(exportQuerySchema, { type, ...(o.format ? { format: o.format } : {}) }));
  if (!o.outputDir && queries.length > 1) throw invalidInput('--type: one type at a time to stdout; give --output-dir for several');
  if (o.outputDir) prepareOutputDir(o.outputDir, '--output-dir');
  return withDb(async ({ db }) => {
    const run = await findRunRow(db, runId);
    if (o.outputDir) await mkdir(o.outputDir, { recursive: true });
    for (const q of queries) {
      if (!o.outputDir) {
        await writeExport(db, run.id, q.type as ExportType, q.format, null, process.stdout);
        continue;
      }
      const file = path.join(o.outputDir, `${q.type}.${q.format}`);
      const stream = createWriteStream(file);
      const rows = await writeExport(db, run.id, q.type as ExportType, q.format, null, stream);
      await endStream(stream);
      err(`wrote ${file} (${rows} rows)`);
    }
    return 0;
  });
}

/** How long `sitesweep runs` waits, after listing, for the checks of quiet open rows it started to write their rows. */
const CLI_CHECKS_WAIT_MS = 1_500;

async function runsCommand(o: Record<string, any>): Promise<number> {
  const q = parseOr400(listRunsQuerySchema, { ...(o.status ? { status: o.status } : {}), ...(o.site ? { site: o.site } : {}), ...(o.limit !== undefined ? { limit: o.limit } : {}) });
  return withDb(async ({ db, config }) => {
    // A configured Temporal (TEMPORAL_ADDRESS or a profile) is asked about quiet open rows, as the API's list does,
    // waiting at most LIST_CHECK_WAIT_MS; the local stack's is not started for a list.
    const client = config.temporal.address ? await connectClient(config, { forApi: true, lazy: true }) : undefined;
    let items: Awaited<ReturnType<typeof listRuns>>['items'];
    try {
      ({ items } = await listRuns({ db, config, ...(client ? { client } : {}) }, q));
    } finally {
      if (client) {
        // A check still asking an unreachable Temporal is left to the process's exit (closing its channel under its
        // gRPC retries would throw outside any promise); one that ends in time has written its row.
        let done = false;
        await waitAtMost(backgroundChecksDone().then(() => (done = true)), CLI_CHECKS_WAIT_MS);
        if (done) await client.connection.close().catch(() => {});
      }
    }
    if (o.json) {
      json({ items });
      return 0;
    }
    if (items.length === 0) out('no runs');
    for (const r of items) {
      out(`${r.runId}  ${r.status.padEnd(9)} ${String(r.counters.audited).padStart(6)} pages  ${new Date(r.createdAt).toISOString()}  ${r.siteUrl}${r.error ? `  (${r.error})` : ''}`);
    }
    return 0;
  });
}

/** How long `sitesweep cancel` waits for a worker to carry the cancellation out before it says none has. */
const CANCEL_WAIT_MS = 10_000;

async function cancelCommand(runId: string, o: Record<string, any>): Promise<number> {
  return withClient(async (deps) => {
    const r = await cancelRun(deps, runId);
    if (o.json) {
      json(r);
      return 0;
    }
    // A worker carries the cancellation out; on a local stack this command brought up just now, none is running.
    const closed = await workflowClosed(deps.client, r.workflowId, CANCEL_WAIT_MS);
    // The view, not the row: it settles a row whose closer has not written its status yet.
    const row = closed ? await getRunView(deps, r.runId).catch(() => null) : null;
    out(closed
      ? `run ${r.runId}: ${row?.status ?? 'cancelled'} (workflow ${r.workflowId})`
      : `run ${r.runId}: cancellation requested (workflow ${r.workflowId}); no worker has carried it out within ${CANCEL_WAIT_MS / 1000} s, so the run ends cancelled once one runs (sitesweep stack, sitesweep worker, or the next audit)`);
    return 0;
  });
}

/** The long-running processes: the same modules `npm run worker` / `npm run api` run, loaded on demand. */
async function serveCommand(which: 'worker' | 'api', o: Record<string, any>): Promise<number> {
  // The command's own input first: a bad --port was reported as a missing DATABASE_URL.
  if (o.port !== undefined && (o.port < 1 || o.port > 65_535)) throw invalidInput('--port: must be between 1 and 65535');
  if (!loadConfig().databaseUrl) {
    throw invalidInput(`DATABASE_URL: required for \`sitesweep ${which}\` (a shared PostgreSQL; \`sitesweep stack\` runs everything locally instead)`);
  }
  if (o.port !== undefined) process.env.API_PORT = String(o.port);
  if (o.host !== undefined) process.env.API_HOST = o.host;
  // A worker runs with the memory settings `npm run worker` gives it, which only a new process can take.
  if (which === 'worker' && needsWorkerMemorySettings()) return runAgainWithWorkerMemory();
  // These modules start on load and exit the process themselves (SIGTERM/SIGINT drain and stop).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(which === 'worker' ? './worker' : './api/server');
  return new Promise<number>(() => {});
}

/**
 * This command once more, in a child process with the worker's memory settings (src/workerMemory.ts): the same node
 * flags (tsx's loader when run from source) and arguments, stdio shared; its exit code is this process's. The first
 * SIGINT/SIGTERM is passed on, so the worker drains (it ignores the copy a terminal's Ctrl-C also sends it); a second
 * one stops it at once.
 */
function runAgainWithWorkerMemory(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: workerMemoryEnv() });
  let signals = 0;
  const forward = (signal: NodeJS.Signals) => child.kill(++signals === 1 ? signal : 'SIGKILL');
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1)));
    // Not started at all (no such executable, no memory): say so instead of waiting for an exit that never comes.
    child.once('error', (err) => {
      process.stderr.write(`sitesweep worker: could not start the worker process: ${err.message}\n`);
      resolve(1);
    });
  });
}

const RUN_ID = '<runId>';

/** Registers the subcommands; `done` receives each action's exit-code promise (the CLI's `result`). */
export function registerServiceCommands(program: Command, done: (p: Promise<number>) => void, bringUp: BringUp): void {
  const batch = program
    .command('batch')
    .description('audit many sites as one batch (one child run per domain); waits and prints each domain\'s status')
    .argument('<domains...>', 'host names or http(s) URLs');
  for (const f of RUN_FLAGS) batch.option(f.flag, f.help, ...((f.kind === 'int' ? [int(f.flag.split(' ')[0])] : []) as []));
  batch
    .option('--max-concurrent-sites <n>', 'sites audited at once (default 4)', int('--max-concurrent-sites'))
    .option('--key <idempotencyKey>', 'batch key: the same key twice returns the same batch')
    .option('--config <file>', 'config file for run options (default: ./sitesweep.config.json when present)')
    .option('--allow-private', 'allow loopback targets')
    .option('--no-wait', 'start the batch and print its id (a worker elsewhere runs it: sitesweep worker)')
    .option('--json', 'print the batch as JSON')
    .addHelpText('after', '\nExamples:\n  $ sitesweep batch example.com example.org --max-pages 100\n  $ sitesweep batch https://a.example https://b.example --no-wait --json\n\nExit codes: 0 every domain completed · 1 a domain failed or the batch did not complete · 2 bad input · 130 interrupted')
    .action((domains: string[], o, cmd: Command) => done(batchCommand(bringUp, domains, o, cmd)));

  program.command('report').description('a run\'s report: health score, findings by severity (JSON with --json, HTML file with --html)')
    .argument(RUN_ID, 'run id (or workflow id)')
    .option('--json', 'print the full report as JSON (what GET /api/runs/:id/report returns)')
    .option('--html <file>', 'also write the self-contained HTML report to this file')
    .action((runId: string, o) => done(reportCommand(runId, o)));

  program.command('compare').description('new, fixed and persisting findings of a run against another (default: the previous run of the site)')
    .argument(RUN_ID, 'run id (or workflow id)')
    .option('--with <runId>', 'the run to compare with (default: previous)')
    .option('--limit <n>', 'at most this many entries per list in --json (default 1000)', int('--limit'))
    .option('--json', 'print the comparison as JSON')
    .action((runId: string, o) => done(compareCommand(runId, o)));

  program.command('export').description('a run\'s pages, issues or links as CSV or JSON, streamed (stdout, or files in --output-dir)')
    .argument(RUN_ID, 'run id (or workflow id)')
    .option('--type <type...>', `${EXPORT_TYPES.join('|')} (default pages to stdout; all three with --output-dir)`)
    .option('--format <format>', 'csv|json (default csv)')
    .option('--output-dir <dir>', 'write <type>.<format> files here')
    .action((runId: string, o) => done(exportCommand(runId, o)));

  program.command('cancel').description('cancel a queued or running run (Temporal cancellation: in-flight pages finish, the run ends cancelled)')
    .argument(RUN_ID, 'run id (or workflow id)')
    .option('--json', 'print the answer as JSON')
    .action((runId: string, o) => done(cancelCommand(runId, o)));

  program.command('runs').description('list runs, newest first')
    .option('--status <status>', 'queued|running|completed|failed|cancelled')
    .option('--site <host>', 'only runs of this host')
    .option('--limit <n>', 'at most this many (default 50)', int('--limit'))
    .option('--json', 'print as JSON')
    .action((o) => done(runsCommand(o)));

  program.command('worker').description('run a worker process on TEMPORAL_TASK_QUEUE (needs DATABASE_URL and a Temporal server)')
    .action((o) => done(serveCommand('worker', o)));

  program.command('api').description('run the API and dashboard (needs DATABASE_URL and a Temporal server)')
    .option('--port <n>', 'port (default API_PORT or 3000)', int('--port'))
    .option('--host <host>', 'interface (default API_HOST or 127.0.0.1)')
    .action((o) => done(serveCommand('api', o)));
}
