// Packages a process may never use load on first use: the provider SDKs (~29 MB) when an AI activity needs a client,
// the OpenTelemetry packages (~13 MB) when tracing is configured. A crawl-only worker, the API and the CLI import the
// modules that hold them (routing and prices, the worker factory, the connections) without loading them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActivities } from '../../src/activities';
import { createApp } from '../../src/api/app';
import { createProvider, routeModel } from '../../src/ai/providers';
import { connectClient } from '../../src/temporal/connection';
import { createSitesweepWorker } from '../../src/temporal/createWorker';
import { createTracing } from '../../src/temporal/tracing';

const loaded = (pkg: string) => Object.keys(require.cache).some((f) => f.includes(`/node_modules/${pkg}/`));

test('no provider SDK is loaded by the activities, the API or the routing; the first client loads its own', () => {
  assert.equal(typeof createActivities, 'function');
  assert.equal(typeof createApp, 'function');
  assert.equal(routeModel('claude-haiku-4-5')?.provider, 'anthropic');
  assert.equal(loaded('@anthropic-ai/sdk'), false);
  assert.equal(loaded('@google/genai'), false);
  const ai = { anthropic: { apiKey: 'k', baseUrl: 'http://127.0.0.1:9' }, gemini: { apiKey: undefined, baseUrl: undefined } } as never;
  assert.equal(createProvider(ai, 'anthropic').name, 'anthropic');
  assert.equal(loaded('@anthropic-ai/sdk'), true);
  assert.equal(loaded('@google/genai'), false);
});

test('no OpenTelemetry package is loaded by the worker factory or the connections until tracing is configured', async () => {
  assert.equal(typeof createSitesweepWorker, 'function');
  assert.equal(typeof connectClient, 'function');
  assert.equal(createTracing(undefined, 'sitesweep'), null);
  for (const pkg of ['@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@temporalio/interceptors-opentelemetry']) {
    assert.equal(loaded(pkg), false, pkg);
  }
  const t = createTracing('http://127.0.0.1:9', 'sitesweep');
  assert.ok(t);
  assert.equal(typeof t.clientInterceptor().start, 'function');
  assert.equal(loaded('@temporalio/interceptors-opentelemetry'), true);
  await t.shutdown();
});
