// OpenTelemetry tracing of Temporal calls (client StartWorkflow, worker RunWorkflow/RunActivity), through the SDK's own
// interceptors, exported over OTLP/HTTP. Only built when OTEL_EXPORTER_OTLP_ENDPOINT is set: otherwise no provider, no
// interceptor, no workflow-side spans (workers then load the plain workflow bundle).
import { existsSync } from 'node:fs';
import type { Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The workflow-side interceptor module (bundled into the `.otel.js` workflow bundle). */
export const OTEL_WORKFLOW_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface Tracing {
  tracer: Tracer;
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Flushes pending spans; call at process exit. */
  shutdown(): Promise<void>;
}

/** A tracer exporting to `<endpoint>/v1/traces` (the OTLP/HTTP convention for the base endpoint variable), or null. */
export function createTracing(endpoint: string | undefined, serviceName: string): Tracing | null {
  if (!endpoint) return null;
  const resource = new Resource({ 'service.name': serviceName });
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Registered globally because the interceptors carry the trace through Temporal headers with the global propagator
  // (W3C trace context) and find the current span through the global context manager.
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  return {
    tracer: provider.getTracer('sitesweep'),
    resource,
    spanProcessor,
    shutdown: () => provider.shutdown(),
  };
}

let processTracing: Tracing | null | undefined;

/** The process's one tracer (client and worker in one process share it), or null when tracing is off. */
export function tracing(endpoint: string | undefined): Tracing | null {
  if (processTracing === undefined) processTracing = createTracing(endpoint, 'sitesweep');
  return processTracing;
}

/** Flushes and stops the process's tracer, if any (at exit, after the worker and client are done). */
export async function shutdownTracing(): Promise<void> {
  const t = processTracing;
  processTracing = undefined;
  await t?.shutdown();
}

/** The traced twin of a prebuilt workflow bundle (`x.js` → `x.otel.js`, written by scripts/build-workflow-bundle.ts). */
export function tracedBundlePath(bundlePath: string): string {
  const traced = bundlePath.replace(/\.js$/, '') + '.otel.js';
  if (!existsSync(traced)) throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT is set but the traced workflow bundle ${traced} is missing (npm run build writes it)`);
  return traced;
}
