// Crash and failure alerts to Sentry (SENTRY_DSN) through @sentry/node, scrubbed of secrets before they leave.
// Loaded lazily: without SENTRY_DSN nothing is loaded, and a DSN without the package is a warning, not a crash.
import type { Config } from '../config';
import type { Logger } from '../logger';
import { scrubText, type SitesweepEvent } from './events';

/** The part of @sentry/node's API we use (kept local so a missing package is a runtime warning, not a type error). */
interface SentryApi {
  init(options: Record<string, unknown>): unknown;
  captureException(err: unknown, hint?: { level?: string; tags?: Record<string, string>; contexts?: Record<string, Record<string, unknown>>; fingerprint?: string[] }): string;
  captureMessage(message: string, hint?: { level?: string; tags?: Record<string, string>; contexts?: Record<string, Record<string, unknown>>; fingerprint?: string[] }): string;
  flush(timeoutMs?: number): Promise<boolean>;
}

export interface AlertContext {
  /** e.g. { workflowId, runId, activityType, attempt } — ids and counts, never options or credentials. */
  [key: string]: string | number | boolean | null | undefined;
}

export interface Alerts {
  readonly enabled: boolean;
  error(err: unknown, context?: AlertContext, tags?: Record<string, string>): void;
  /** A failed run, batch or AI job, grouped by type and error. */
  failure(event: SitesweepEvent): void;
  flush(timeoutMs?: number): Promise<void>;
}

const noop: Alerts = { enabled: false, error: () => {}, failure: () => {}, flush: async () => {} };
let current: Alerts = noop;

/** The process's alerts (no-op until initAlerts ran with a DSN). */
export function alerts(): Alerts {
  return current;
}

/** Deep-copy `value` replacing secrets in every string; drops request headers, cookies and user data. */
export function scrubSentryEvent<T>(value: T, secrets: readonly string[]): T {
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'string') return scrubText(v, secrets);
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (/^(cookies?|headers|authorization|password|secret|token|apiKey|api_key|env|user)$/i.test(k)) continue;
        out[k] = walk(x, k);
      }
      return out;
    }
    return v;
  };
  return walk(value, '') as T;
}

function loadSentry(): SentryApi | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@sentry/node') as SentryApi;
  } catch {
    return null;
  }
}

/** Once per process (worker, API, CLI), before work starts. `component` tags every event (worker, api, cli). */
export function initAlerts(config: Config, log: Logger, component: string): Alerts {
  const sentryConfig = config.alerts.sentry;
  if (!sentryConfig) return (current = noop);
  const Sentry = loadSentry();
  if (!Sentry) {
    log.warn('SENTRY_DSN is set but @sentry/node is not installed: alerts are off (npm install @sentry/node)');
    return (current = noop);
  }
  const secrets = config.alerts.secrets;
  Sentry.init({
    dsn: sentryConfig.dsn,
    environment: sentryConfig.environment,
    sendDefaultPii: false,
    // Only what we capture explicitly: no auto-instrumentation, no global handlers (our processes handle their own).
    defaultIntegrations: false,
    skipOpenTelemetrySetup: true,
    tracesSampleRate: 0,
    initialScope: { tags: { component } },
    beforeSend: (event: unknown) => scrubSentryEvent(event, secrets),
    beforeBreadcrumb: () => null,
  });
  const clean = (c: AlertContext | undefined) => (c ? (scrubSentryEvent(c, secrets) as Record<string, unknown>) : {});
  current = {
    enabled: true,
    error(err, context, tags) {
      Sentry.captureException(err, { tags: tags ?? {}, contexts: { sitesweep: clean(context) } });
    },
    failure(event) {
      const message = `${event.type}: ${event.error ?? 'failed'}`;
      Sentry.captureMessage(scrubText(message, secrets), {
        level: 'error',
        tags: { event: event.type },
        // One issue per kind of failure, not one per run.
        fingerprint: [event.type, scrubText(event.error ?? '', secrets).replace(/\d+/g, 'N').slice(0, 200)],
        contexts: {
          sitesweep: clean({ eventId: event.id, workflowId: event.workflowId, subjectId: event.subjectId, siteUrl: event.siteUrl, occurredAt: event.occurredAt }),
          data: scrubSentryEvent(event.data, secrets),
        },
      });
    },
    async flush(timeoutMs = 2_000) {
      await Sentry.flush(timeoutMs).catch(() => false);
    },
  };
  log.info({ environment: sentryConfig.environment }, 'alerts to Sentry on');
  return current;
}
