// OpenTelemetry tracing of Temporal calls (client StartWorkflow, worker RunWorkflow/RunActivity), through the SDK's own
// interceptors, exported over OTLP/HTTP. Only built when OTEL_EXPORTER_OTLP_ENDPOINT is set: otherwise no provider, no
// interceptor, no workflow-side spans (workers then load the plain workflow bundle).
// The OpenTelemetry packages (and the SDK's OpenTelemetry interceptors) are required only then, here and nowhere else:
// they add ~13 MB to every worker, API and CLI process that never traces.
import { existsSync } from 'node:fs';
import type { Context } from '@temporalio/activity';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ActivityInterceptors } from '@temporalio/worker';
import type { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';

/** The workflow-side interceptor module (bundled into the `.otel.js` workflow bundle). */
export const OTEL_WORKFLOW_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface Tracing {
  /** Flushes pending spans; call at process exit. */
  shutdown(): Promise<void>;
  /** StartWorkflow/SignalWorkflow/... spans whose context travels to the workflow in headers. */
  clientInterceptor(): WorkflowClientInterceptor;
  /** RunActivity spans, children of the workflow's. */
  activityInterceptors(ctx: Context): ActivityInterceptors;
  /** The sink through which workflow spans, made inside the sandbox, leave it. */
  workflowSinks(): ReturnType<typeof makeWorkflowExporter>;
}

/** A tracer exporting to `<endpoint>/v1/traces` (the OTLP/HTTP convention for the base endpoint variable), or null. */
export function createTracing(endpoint: string | undefined, serviceName: string): Tracing | null {
  if (!endpoint) return null;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { Resource } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const otel = require('@temporalio/interceptors-opentelemetry') as typeof import('@temporalio/interceptors-opentelemetry');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const resource = new Resource({ 'service.name': serviceName });
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Registered globally because the interceptors carry the trace through Temporal headers with the global propagator
  // (W3C trace context) and find the current span through the global context manager.
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  const tracer = provider.getTracer('sitesweep');
  return {
    shutdown: () => provider.shutdown(),
    clientInterceptor: () => new otel.OpenTelemetryWorkflowClientInterceptor({ tracer }),
    activityInterceptors: (ctx) => ({ inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx, { tracer }), outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx) }),
    workflowSinks: () => otel.makeWorkflowExporter(spanProcessor, resource),
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
