// The provider SDKs (~29 MB of memory) load only when an AI activity needs a client: a crawl-only worker, the API and
// the CLI import the provider module for routing and prices, not the SDKs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActivities } from '../../src/activities';
import { createApp } from '../../src/api/app';
import { createProvider, routeModel } from '../../src/ai/providers';

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
