// The one place that reads configuration: environment variables → a validated, typed object.
// Every other module receives what it needs from here (or as arguments), never from process.env.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
/** TARGET_ALLOWLIST entries: what src/crawl/ssrfGuard.ts matches (an IP, a CIDR, a host name); a typo is an error. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9])?)*\.?$/i;
const allowlistEntry = z.string().refine(
  (e) => ipaddr.isValid(e.replace(/^\[|\]$/g, '')) || ipaddr.isValidCIDR(e) || HOST_NAME.test(e),
  { error: (i) => `"${String(i.input)}" is not an IP address, a CIDR (e.g. 192.168.1.0/24) or a host name` },
);
const positiveInt = z.coerce.number().int().positive();

export const envSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  TEMPORAL_ADDRESS: z.string().optional(),
  /** Overrides the envconfig profile's namespace; neither set = 'default'. */
  TEMPORAL_NAMESPACE: z.string().optional(),
  /** Port (or host:port) where a worker's SDK runtime serves its own Prometheus metrics (slots, schedule-to-start,
   * sticky cache). Unset: a free loopback port, merged into the process's /metrics. */
  TEMPORAL_SDK_METRICS_ADDRESS: z.string().optional(),
  /** OTLP endpoint: turns on OpenTelemetry tracing where supported (see README, Temporal Cloud). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  TEMPORAL_TASK_QUEUE: z.string().default('sitesweep'),
  TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  API_TOKEN: z.string().optional(),
  API_BODY_LIMIT: z.string().default('256kb'),
  /** When set, a worker serves its Prometheus metrics on this port (GET /metrics); the API serves its own on /metrics. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().default('0.0.0.0'),
  ALLOW_PRIVATE_TARGETS: bool.default(false),
  TARGET_ALLOWLIST: list.pipe(z.array(allowlistEntry)).default([]),
  /** Key material (≥ 16 chars; sha256 → AES-256-GCM key) that seals run credentials (auth, headers, cookies). */
  SECRETS_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.default(20),
  WORKER_MAX_CACHED_WORKFLOWS: positiveInt.default(100),
  /**
   * undici's connection cap per origin: the largest perHostConcurrency a run may ask for (src/api/schemas.ts), so the
   * pool never holds a run below its own limit (at 8, a run of 16 got 8 requests in flight and 8 queued in undici).
   * The politeness gate bounds the requests; undici opens a connection only when a request needs one.
   */
  WORKER_CONNECTIONS_PER_HOST: positiveInt.default(32),
  WORKER_SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  /**
   * Threads that parse and check pages beside the worker's main thread (0: on the main thread): one core is left to the
   * main thread (and PostgreSQL). With analyzePage at ~1.3 ms a page, a second thread on 2 cores measured no faster
   * (270 against 274 pages/s) and 40 MB more RSS.
   */
  ANALYZE_THREADS: z.coerce.number().int().min(0).max(64).default(Math.min(4, Math.max(1, os.availableParallelism() - 1))),
  /** How long a workflow task waits on a worker's sticky queue before any worker may take it (SDK default 10 s). */
  WORKER_STICKY_TIMEOUT_MS: positiveInt.default(3_000),
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  AUDIT_HEARTBEAT_TIMEOUT_MS: positiveInt.default(30_000),
  AUDIT_RETRY_INITIAL_MS: positiveInt.default(2_000),
  AUDIT_RETRY_MAX_MS: positiveInt.default(30_000),
  AUDIT_RETRY_MAX_ATTEMPTS: positiveInt.default(3),
  PERSIST_RETRY_MAX_MS: positiveInt.default(60_000),
  FETCH_MAX_BYTES: positiveInt.default(5_000_000),
  FETCH_MAX_REDIRECTS: positiveInt.default(10),
  FETCH_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  /** JavaScript rendering (runs with render: "chromium"): the system's Chromium, driven by playwright-core. */
  CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
  /** Pages rendered at once by a worker process (one browser, one context + page each). */
  RENDER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /** Whole render of one page (load, scripts, settle); past it the DOM so far is taken. */
  RENDER_TIMEOUT_MS: positiveInt.default(15_000),
  /** Let the browser load third-party (other site) scripts, styles and XHR; off: only same-site requests. */
  RENDER_ALLOW_THIRD_PARTY: bool.default(false),
  /** The browser is replaced after this many pages (bounds what a long run can leak in Chromium). */
  RENDER_RECYCLE_AFTER: positiveInt.default(500),
  /** Consecutive failures (timeouts, connection errors, 5xx) from one host that open its circuit; 0 turns the breaker off. */
  BREAKER_FAILURE_THRESHOLD: z.coerce.number().int().min(0).default(10),
  BREAKER_COOLDOWN_MS: positiveInt.default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SITESWEEP_HOME: z.string().default(path.join(os.homedir(), '.sitesweep')),
  NODE_ENV: z.string().default('development'),
  // AI recommendations (src/ai): keys only from the environment, never logged or stored; base URLs for proxies/fakes.
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  GEMINI_API_KEY: z.string().optional(),
  GEMINI_BASE_URL: z.string().url().optional(),
  AI_POLL_INTERVAL_MS: positiveInt.default(60_000),
  AI_POLL_MAX_INTERVAL_MS: positiveInt.default(15 * 60_000),
  AI_POLL_MAX_MS: positiveInt.default(24 * 3_600_000),
  /** Lower the providers' per-batch limits (requests, body bytes): a larger job is split into several batches. */
  AI_BATCH_MAX_REQUESTS: positiveInt.optional(),
  AI_BATCH_MAX_BYTES: positiveInt.optional(),
  NIGHTLY_SITES: list.default([]),
  NIGHTLY_CRON: z.string().default('0 2 * * *'),
  NIGHTLY_MODEL: z.string().default('claude-haiku-4-5'),
  // Alerts and events: errors to Sentry, run/batch/AI-job events to a webhook (signed with WEBHOOK_SECRET).
  SENTRY_DSN: z.string().url().optional(),
  SENTRY_ENVIRONMENT: z.string().optional(),
  WEBHOOK_URL: z.string().url().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  databaseUrl: string | undefined;
  databasePoolSize: number;
  temporal: TemporalConfig;
  api: { host: string; port: number; token: string | undefined; bodyLimit: string };
  metrics: { port: number | undefined; host: string };
  crawl: {
    allowPrivateTargets: boolean;
    targetAllowlist: string[];
    connectionsPerHost: number;
    maxBytes: number;
    maxRedirects: number;
    fetchRetries: number;
    /** Per-host circuit breaker of the worker's Fetcher; null = off. */
    breaker: { failureThreshold: number; cooldownMs: number } | null;
    /** Seals/opens run credentials (src/crawl/credentials.ts); undefined = runs with credentials are refused. */
    secretsKey: string | undefined;
  };
  render: RenderConfig;
  worker: { maxConcurrentActivities: number; maxCachedWorkflows: number; shutdownGraceMs: number; stickyScheduleToStartMs: number; analyzeThreads: number; bundlePath: string | undefined };
  policies: {
    auditHeartbeatTimeoutMs: number;
    auditRetryInitialMs: number;
    auditRetryMaxMs: number;
    auditRetryMaxAttempts: number;
    persistRetryMaxMs: number;
  };
  ai: AiConfig;
  alerts: AlertsConfig;
  logLevel: Env['LOG_LEVEL'];
  home: string;
  production: boolean;
}

export interface RenderConfig {
  chromiumPath: string;
  concurrency: number;
  timeoutMs: number;
  allowThirdParty: boolean;
  recycleAfter: number;
}

export interface AiConfig {
  anthropic: { apiKey: string | undefined; baseUrl: string | undefined };
  gemini: { apiKey: string | undefined; baseUrl: string | undefined };
  pollIntervalMs: number;
  pollMaxIntervalMs: number;
  pollMaxMs: number;
  /** Lower per-batch limits than the providers' own (tests, proxies with smaller bodies); unset: the providers'. */
  batchLimits?: { maxRequests?: number; maxBytes?: number };
  nightly: { sites: string[]; cron: string; model: string };
}

export interface TemporalConfig {
  /** From TEMPORAL_ADDRESS or the envconfig profile; undefined = not configured (the CLI starts or finds a local one). */
  address: string | undefined;
  /** TEMPORAL_NAMESPACE, else the profile's namespace, else 'default'. */
  namespace: string;
  taskQueue: string;
  uiUrl: string;
  /** Everything a Connection/NativeConnection needs (TLS, API key, gRPC metadata) from @temporalio/envconfig
   * (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE, TEMPORAL_API_KEY, TEMPORAL_TLS*, …), with `address` resolved. */
  connection: TemporalConnectionSettings;
  /** The profile name in use, if any (for messages). */
  profile: string | undefined;
  sdkMetricsAddress: string | undefined;
  otlpEndpoint: string | undefined;
}

export interface TemporalConnectionSettings {
  address: string;
  tls?: boolean | { serverNameOverride?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } } | null;
  apiKey?: string;
  metadata?: Record<string, string>;
}

export interface AlertsConfig {
  sentry: { dsn: string; environment: string } | null;
  webhook: { url: string; secret: string | undefined; timeoutMs: number } | null;
  /** Values that must never leave the process in an alert (API token, keys, database password…). */
  secrets: string[];
}

export class ConfigError extends Error {}

/**
 * Compiled code (dist/src/config.js, as in the npm package and the Docker image) loads the workflow bundle that
 * `npm run build` wrote beside it, so nothing bundles (or needs TypeScript) at run time. Source runs under tsx
 * bundle from src/workflows, so a stale dist/ never stands in for the code being edited.
 */
function builtWorkflowBundle(): string | undefined {
  if (!__filename.endsWith('.js')) return undefined;
  const file = path.join(__dirname, '..', 'workflow-bundle.js');
  return existsSync(file) ? file : undefined;
}

/** Every configured secret value (≥ 6 chars, so that scrubbing them cannot mangle ordinary words). */
function secretValues(env: Record<string, string>, e: Env): string[] {
  const out = [e.API_TOKEN, e.SECRETS_KEY, e.WEBHOOK_SECRET, e.ANTHROPIC_API_KEY, e.GEMINI_API_KEY, env.TEMPORAL_API_KEY, env.SITESWEEP_AUTH_PASSWORD];
  for (const url of [e.DATABASE_URL, e.SENTRY_DSN]) {
    try {
      const u = new URL(url ?? '');
      out.push(decodeURIComponent(u.password), decodeURIComponent(u.username && url === e.SENTRY_DSN ? u.username : ''));
    } catch {}
  }
  return [...new Set(out.filter((v): v is string => typeof v === 'string' && v.length >= 6))];
}

/** Temporal connection settings through @temporalio/envconfig; its errors (bad TOML, missing profile, unreadable
 * certificate) become a ConfigError naming the source instead of being swallowed. */
function temporalSettings(env: Record<string, string>, e: Env): TemporalConfig {
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: env });
  } catch (err) {
    const where = env.TEMPORAL_CONFIG_FILE ? ` (TEMPORAL_CONFIG_FILE=${env.TEMPORAL_CONFIG_FILE})` : '';
    const profile = env.TEMPORAL_PROFILE ? ` profile "${env.TEMPORAL_PROFILE}"` : '';
    throw new ConfigError(`Invalid Temporal client configuration${profile}${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const o = loaded.connectionOptions;
  const address = o.address ?? undefined;
  const connection: TemporalConnectionSettings = { address: address ?? 'localhost:7233' };
  if (o.tls !== undefined) connection.tls = o.tls as TemporalConnectionSettings['tls'];
  if (o.apiKey !== undefined) connection.apiKey = o.apiKey as string;
  if (o.metadata && Object.keys(o.metadata).length) connection.metadata = o.metadata as Record<string, string>;
  return {
    address,
    namespace: e.TEMPORAL_NAMESPACE ?? loaded.namespace ?? 'default',
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    uiUrl: e.TEMPORAL_UI_URL.replace(/\/$/, ''),
    connection,
    profile: env.TEMPORAL_PROFILE,
    sdkMetricsAddress: e.TEMPORAL_SDK_METRICS_ADDRESS,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
  };
}

/** The same config aimed at a Temporal server we run locally (plain gRPC): a profile's TLS/API key would not apply. */
export function withLocalTemporal(config: Config, address: string): Config {
  return { ...config, temporal: { ...config.temporal, address, connection: { address } } };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings from compose files (`API_TOKEN=`) mean "unset".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.map((k, n) => (typeof k === 'number' ? `[${k}]` : `${n ? '.' : ''}${String(k)}`)).join('')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    temporal: temporalSettings(cleaned as Record<string, string>, e),
    api: { host: e.API_HOST, port: e.API_PORT, token: e.API_TOKEN, bodyLimit: e.API_BODY_LIMIT },
    metrics: { port: e.METRICS_PORT, host: e.METRICS_HOST },
    crawl: {
      allowPrivateTargets: e.ALLOW_PRIVATE_TARGETS,
      targetAllowlist: e.TARGET_ALLOWLIST,
      connectionsPerHost: e.WORKER_CONNECTIONS_PER_HOST,
      maxBytes: e.FETCH_MAX_BYTES,
      maxRedirects: e.FETCH_MAX_REDIRECTS,
      fetchRetries: e.FETCH_RETRIES,
      breaker: e.BREAKER_FAILURE_THRESHOLD > 0 ? { failureThreshold: e.BREAKER_FAILURE_THRESHOLD, cooldownMs: e.BREAKER_COOLDOWN_MS } : null,
      secretsKey: e.SECRETS_KEY,
    },
    render: {
      chromiumPath: e.CHROMIUM_PATH,
      concurrency: e.RENDER_CONCURRENCY,
      timeoutMs: e.RENDER_TIMEOUT_MS,
      allowThirdParty: e.RENDER_ALLOW_THIRD_PARTY,
      recycleAfter: e.RENDER_RECYCLE_AFTER,
    },
    worker: {
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_MS,
      stickyScheduleToStartMs: e.WORKER_STICKY_TIMEOUT_MS,
      analyzeThreads: e.ANALYZE_THREADS,
      bundlePath: e.WORKFLOW_BUNDLE_PATH ?? builtWorkflowBundle(),
    },
    policies: {
      auditHeartbeatTimeoutMs: e.AUDIT_HEARTBEAT_TIMEOUT_MS,
      auditRetryInitialMs: e.AUDIT_RETRY_INITIAL_MS,
      auditRetryMaxMs: e.AUDIT_RETRY_MAX_MS,
      auditRetryMaxAttempts: e.AUDIT_RETRY_MAX_ATTEMPTS,
      persistRetryMaxMs: e.PERSIST_RETRY_MAX_MS,
    },
    ai: {
      anthropic: { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL },
      gemini: { apiKey: e.GEMINI_API_KEY, baseUrl: e.GEMINI_BASE_URL },
      pollIntervalMs: e.AI_POLL_INTERVAL_MS,
      pollMaxIntervalMs: e.AI_POLL_MAX_INTERVAL_MS,
      pollMaxMs: e.AI_POLL_MAX_MS,
      batchLimits: { maxRequests: e.AI_BATCH_MAX_REQUESTS, maxBytes: e.AI_BATCH_MAX_BYTES },
      nightly: { sites: e.NIGHTLY_SITES, cron: e.NIGHTLY_CRON, model: e.NIGHTLY_MODEL },
    },
    alerts: {
      sentry: e.SENTRY_DSN ? { dsn: e.SENTRY_DSN, environment: e.SENTRY_ENVIRONMENT ?? e.NODE_ENV } : null,
      webhook: e.WEBHOOK_URL
        ? { url: e.WEBHOOK_URL, secret: e.WEBHOOK_SECRET, timeoutMs: e.WEBHOOK_TIMEOUT_MS }
        : null,
      secrets: secretValues(cleaned as Record<string, string>, e),
    },
    logLevel: e.LOG_LEVEL,
    home: e.SITESWEEP_HOME,
    production: e.NODE_ENV === 'production',
  };
}
