// Gemini Batch API (Developer API) through the official @google/genai SDK, inline requests. The SDK's own retries are
// off (attempts: 1): the activity's retry policy decides, so a retry can first adopt a batch a lost response created.
import { ApiError, GoogleGenAI, JobState, type BatchJob } from '@google/genai';
import type { BatchProvider, BatchRequest, ProviderBatch, ProviderResult } from './types';
import { classifyStatus, wrappedCalls } from './types';

function wrap(err: unknown): Error {
  if (err instanceof ApiError) {
    // RetryInfo is inside the message body the SDK keeps as text: "retryDelay":"3s".
    const m = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(err.message);
    return classifyStatus('gemini', err.status, err.message.slice(0, 500), m ? Number(m[1]) * 1000 : null);
  }
  return classifyStatus('gemini', null, err instanceof Error ? err.message : String(err), null);
}

const ENDED: string[] = [JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_EXPIRED];

function toBatch(b: BatchJob): ProviderBatch {
  const state = String(b.state ?? '');
  return {
    id: b.name ?? '',
    state: ENDED.includes(state) ? 'ended' : 'in_progress',
    ...(ENDED.includes(state) && state !== JobState.JOB_STATE_SUCCEEDED ? { terminal: state } : {}),
    requestCount: null,
    createdAt: b.createTime ?? null,
    displayName: b.displayName ?? null,
  };
}

export function createGeminiProvider(opts: { apiKey: string; baseUrl?: string }): BatchProvider {
  const ai = new GoogleGenAI({
    apiKey: opts.apiKey,
    httpOptions: { ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}), retryOptions: { attempts: 1 }, timeout: 60_000 },
  });
  const call = wrappedCalls(wrap);
  return {
    name: 'gemini',
    create: (model: string, requests: BatchRequest[], displayName: string) =>
      call(async () =>
        toBatch(
          await ai.batches.create({
            model,
            src: requests.map((r) => ({
              contents: [{ role: 'user', parts: [{ text: r.prompt }] }],
              config: { maxOutputTokens: r.maxTokens },
              metadata: { key: r.customId },
            })),
            config: { displayName },
          }),
        ),
      ),
    get: (id) => call(async () => toBatch(await ai.batches.get({ name: id }))),
    cancel: (id) => call(() => ai.batches.cancel({ name: id })),
    list: (since) =>
      call(async () => {
        const out: ProviderBatch[] = [];
        const pager = await ai.batches.list({ config: { pageSize: 100 } });
        for await (const b of pager) {
          if (b.createTime && Date.parse(b.createTime) < since.getTime()) continue;
          out.push(toBatch(b));
        }
        return out;
      }),
    results: (id, customIds) =>
      call(async () => {
        const job = await ai.batches.get({ name: id });
        const state = String(job.state ?? '');
        if (state === JobState.JOB_STATE_EXPIRED || state === JobState.JOB_STATE_FAILED) {
          // No output: every request of the job expired (or failed with the job).
          return customIds.map((customId) => ({ customId, type: state === JobState.JOB_STATE_EXPIRED ? 'expired' : 'errored', error: job.error?.message ?? state }) as ProviderResult);
        }
        const responses = job.dest?.inlinedResponses ?? [];
        const seen = new Set<string>();
        const out: ProviderResult[] = responses.map((r, i) => {
          const customId = r.metadata?.key ?? customIds[i];
          seen.add(customId);
          if (r.error || !r.response) return { customId, type: 'errored', error: r.error?.message ?? 'no response' };
          const text = (r.response.candidates?.[0]?.content?.parts ?? []).map((p) => p.text ?? '').join('');
          const u = r.response.usageMetadata;
          return { customId, type: 'succeeded', text, inputTokens: u?.promptTokenCount, outputTokens: u?.candidatesTokenCount };
        });
        // A cancelled job may carry partial output: the requests without an answer were cancelled.
        for (const customId of customIds) if (!seen.has(customId)) out.push({ customId, type: state === JobState.JOB_STATE_CANCELLED ? 'canceled' : 'expired' });
        return out;
      }),
  };
}
