// The SDK runtime of a worker process: its logs (worker lifecycle, Core's own warnings) go through our pino logger, and
// Core's Prometheus metrics (task slots, schedule-to-start latency, sticky cache, pollers) are exported on a loopback
// port that our /metrics merges into its own answer (src/metrics.ts), so one scrape sees the app's and the SDK's.
import { Runtime, makeTelemetryFilterString, type Logger as SdkLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { setSdkMetricsUrl } from '../metrics';
import { getFreePort } from '../ports';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * Entries the CLI's own messages already cover (with `outcomesReported`): a workflow's failure, and Core's notes that
 * an activity completed or heartbeat after its workflow had closed ("Activity not found on completion", "… when
 * recording heartbeat"), which every Ctrl-C of a crawl leaves behind: its crawl steps end after the cancelled run (5
 * JSON warning lines after "Run … cancelled." in a 50k-page audit).
 */
function coveredByOutcome(message: string): boolean {
  return message === 'Workflow failed' || message.startsWith('Activity not found');
}

/**
 * The SDK's Logger interface on top of a pino child logger ({ component: 'temporal-sdk' }). With `outcomesReported`
 * (the CLI, which prints each run's outcome and reason itself) what that outcome covers is debug, not a JSON warning
 * line after the CLI's own message.
 */
export function pinoSdkLogger(log: Logger, opts: { outcomesReported?: boolean } = {}): SdkLogger {
  const sdk = log.child({ component: 'temporal-sdk' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    // Core's forwarded entries carry a bigint timestamp symbol and sometimes bigints: keep them JSON-safe.
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(meta ?? {})) fields[k] = typeof v === 'bigint' ? v.toString() : v;
    const outcome = opts.outcomesReported && coveredByOutcome(message);
    sdk[outcome ? 'debug' : PINO_LEVEL[level]](fields, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

function sdkLevel(level: string): LogLevel {
  const l = level.toUpperCase();
  if (l === 'FATAL' || l === 'SILENT') return 'ERROR';
  return (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(l) ? l : 'INFO') as LogLevel;
}

export interface InstalledRuntime {
  /** host:port of Core's Prometheus exporter (null when another part of the process installed the runtime first). */
  metricsAddress: string | null;
}

/**
 * Install the SDK runtime once per process, before the first NativeConnection. Idempotent: a second call (tests,
 * the CLI's `stack`) keeps the first runtime.
 */
export async function installSdkRuntime(
  config: Config, log: Logger,
  opts: {
    level?: string; outcomesReported?: boolean;
    /** Signals on which the SDK shuts its workers down itself (its default: SIGINT, SIGTERM, SIGQUIT, SIGUSR2). */
    shutdownSignals?: NodeJS.Signals[];
  } = {},
): Promise<InstalledRuntime> {
  if (Runtime._instance) return { metricsAddress: null };
  const level = sdkLevel(opts.level ?? config.logLevel);
  let bindAddress = config.temporal.sdkMetricsAddress;
  if (bindAddress && /^\d+$/.test(bindAddress)) bindAddress = `0.0.0.0:${bindAddress}`;
  bindAddress ??= `127.0.0.1:${await getFreePort()}`;
  Runtime.install({
    ...(opts.shutdownSignals ? { shutdownSignals: opts.shutdownSignals } : {}),
    logger: pinoSdkLogger(log, { outcomesReported: opts.outcomesReported }),
    telemetryOptions: {
      // Core's own logs (Rust) are forwarded to the logger above; WARN keeps its chatter out unless asked for.
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: level === 'ERROR' ? 'ERROR' : level === 'TRACE' || level === 'DEBUG' ? level : 'WARN' }) },
      metrics: { prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } },
    },
  });
  const local = bindAddress.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '127.0.0.1:');
  setSdkMetricsUrl(`http://${local}/metrics`);
  log.debug({ bindAddress }, 'temporal SDK metrics exporter');
  return { metricsAddress: bindAddress };
}
