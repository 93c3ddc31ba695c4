// Model routing by prefix, the keys each provider needs (named for error messages) and batch prices.
import type { AiConfig } from '../../config';
import type { BatchLimits } from '../split';
import type { BatchProvider, ProviderName } from './types';

export * from './types';

interface Route {
  provider: ProviderName;
  keyVar: 'ANTHROPIC_API_KEY' | 'GEMINI_API_KEY';
}

const ROUTES: Array<[prefix: string, route: Route]> = [
  ['claude-', { provider: 'anthropic', keyVar: 'ANTHROPIC_API_KEY' }],
  ['gemini-', { provider: 'gemini', keyVar: 'GEMINI_API_KEY' }],
];

export const MODEL_PREFIXES = ROUTES.map(([p]) => p);

export function routeModel(model: string): Route | null {
  return ROUTES.find(([prefix]) => model.startsWith(prefix))?.[1] ?? null;
}

export function hasKey(ai: AiConfig, provider: ProviderName): boolean {
  return Boolean(ai[provider].apiKey);
}

/**
 * The provider's client. Its SDK is loaded on first use (a synchronous require, cached after): the two SDKs hold
 * ~29 MB of a process's memory, and a worker that only crawls, the API and the CLI (which import this module for
 * routing and prices) never need them.
 */
export function createProvider(ai: AiConfig, provider: ProviderName): BatchProvider {
  const { apiKey, baseUrl } = ai[provider];
  if (!apiKey) throw new Error(`${provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'GEMINI_API_KEY'} is not set`);
  const opts = { apiKey, ...(baseUrl ? { baseUrl } : {}) };
  /* eslint-disable @typescript-eslint/no-require-imports */
  return provider === 'anthropic'
    ? (require('./anthropic') as typeof import('./anthropic')).createAnthropicProvider(opts)
    : (require('./gemini') as typeof import('./gemini')).createGeminiProvider(opts);
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** USD per million tokens at the interactive price; batches cost half (both providers). Unknown models: the family's. */
const PRICES: Array<[prefix: string, input: number, output: number]> = [
  ['claude-opus', 15, 75],
  ['claude-sonnet', 3, 15],
  ['claude-haiku', 1, 5],
  ['claude-', 3, 15],
  ['gemini-2.5-pro', 1.25, 10],
  ['gemini-', 0.3, 2.5],
];
export const BATCH_DISCOUNT = 0.5;

export function estimateCostUsd(model: string, inputTokens: number, outputTokens: number): number {
  const [, inp, out] = PRICES.find(([p]) => model.startsWith(p)) ?? ['', 3, 15];
  return Math.round(((inputTokens * inp + outputTokens * out) / 1e6) * BATCH_DISCOUNT * 1e6) / 1e6;
}

/** Provider limits per batch (Anthropic: 100,000 requests or 256 MB; Gemini inline: 20 MB) with headroom. */
export const LIMITS: Record<ProviderName, BatchLimits> = {
  anthropic: { maxRequests: 100_000, maxBytes: 200 * 1024 * 1024 },
  gemini: { maxRequests: 100_000, maxBytes: 18 * 1024 * 1024 },
};

/** The provider's limits, lowered (never raised) by AI_BATCH_MAX_REQUESTS / AI_BATCH_MAX_BYTES. */
export function batchLimits(ai: Pick<AiConfig, 'batchLimits'> | undefined, provider: ProviderName): BatchLimits {
  const own = LIMITS[provider];
  return {
    maxRequests: Math.min(own.maxRequests, ai?.batchLimits?.maxRequests ?? Infinity),
    maxBytes: Math.min(own.maxBytes, ai?.batchLimits?.maxBytes ?? Infinity),
  };
}
