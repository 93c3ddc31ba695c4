// Anthropic Message Batches through the official SDK. The SDK's own retries are off: the activity's retry policy
// decides (with retry-after honoured), so a retry can first look for a batch that a lost response already created.
import Anthropic from '@anthropic-ai/sdk';
import type { BatchProvider, BatchRequest, ProviderBatch, ProviderResult } from './types';
import { parseRetryAfter } from '../../crawl/backoff';
import { classifyStatus, wrappedCalls } from './types';

function wrap(err: unknown): Error {
  if (err instanceof Anthropic.APIError) {
    const retryAfter = parseRetryAfter(err.headers?.get?.('retry-after'));
    return classifyStatus('anthropic', err.status, err.apiMessage ?? err.message, retryAfter);
  }
  return classifyStatus('anthropic', null, err instanceof Error ? err.message : String(err), null);
}

function toBatch(b: Anthropic.Messages.MessageBatch): ProviderBatch {
  const c = b.request_counts;
  return {
    id: b.id,
    state: b.processing_status,
    requestCount: c ? c.processing + c.succeeded + c.errored + c.canceled + c.expired : null,
    createdAt: b.created_at,
    displayName: null,
  };
}

export function createAnthropicProvider(opts: { apiKey: string; baseUrl?: string }): BatchProvider {
  const client = new Anthropic({ apiKey: opts.apiKey, ...(opts.baseUrl ? { baseURL: opts.baseUrl } : {}), maxRetries: 0, timeout: 60_000 });
  const call = wrappedCalls(wrap);
  return {
    name: 'anthropic',
    create: (model: string, requests: BatchRequest[]) =>
      call(async () =>
        toBatch(
          await client.messages.batches.create({
            requests: requests.map((r) => ({
              custom_id: r.customId,
              params: { model, max_tokens: r.maxTokens, messages: [{ role: 'user', content: r.prompt }] },
            })),
          }),
        ),
      ),
    get: (id) => call(async () => toBatch(await client.messages.batches.retrieve(id))),
    cancel: (id) => call(async () => void (await client.messages.batches.cancel(id))),
    list: (since) =>
      call(async () => {
        const out: ProviderBatch[] = [];
        for await (const b of client.messages.batches.list({ limit: 100 })) {
          if (Date.parse(b.created_at) < since.getTime()) break;
          out.push(toBatch(b));
        }
        return out;
      }),
    results: (id) =>
      call(async () => {
        const out: ProviderResult[] = [];
        for await (const line of await client.messages.batches.results(id)) {
          const r = line.result;
          if (r.type === 'succeeded') {
            const text = r.message.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
            out.push({ customId: line.custom_id, type: 'succeeded', text, inputTokens: r.message.usage?.input_tokens, outputTokens: r.message.usage?.output_tokens });
          } else if (r.type === 'errored') {
            const e = r.error as { error?: { type?: string; message?: string } };
            out.push({ customId: line.custom_id, type: 'errored', error: `${e.error?.type ?? 'error'}: ${e.error?.message ?? ''}`.slice(0, 1000) });
          } else {
            out.push({ customId: line.custom_id, type: r.type });
          }
        }
        return out;
      }),
  };
}
