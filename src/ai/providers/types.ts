// One small interface in front of every provider's batch API: a third provider is one more file.

export type ProviderName = 'anthropic' | 'gemini';

export interface BatchRequest {
  customId: string;
  prompt: string;
  maxTokens: number;
}

export interface ProviderBatch {
  id: string;
  /** in_progress until the provider has finished (or cancelled/expired) every request; results exist only once ended. */
  state: 'in_progress' | 'canceling' | 'ended';
  /** The provider's own terminal state when it is not a plain success (Gemini FAILED/EXPIRED/CANCELLED). */
  terminal?: string;
  requestCount: number | null;
  createdAt: string | null;
  displayName: string | null;
}

export interface ProviderResult {
  customId: string;
  type: 'succeeded' | 'errored' | 'expired' | 'canceled';
  text?: string;
  error?: string;
  inputTokens?: number;
  outputTokens?: number;
}

export interface BatchProvider {
  readonly name: ProviderName;
  /** `displayName` carries the job key (Gemini stores it; Anthropic has no name field). */
  create(model: string, requests: BatchRequest[], displayName: string): Promise<ProviderBatch>;
  get(id: string): Promise<ProviderBatch>;
  /** Only once ended; `customIds` in submission order (Gemini's fallback when an answer lacks its metadata). */
  results(id: string, customIds: string[]): Promise<ProviderResult[]>;
  cancel(id: string): Promise<void>;
  /** Recent batches, newest first, stopping at those created before `since`. */
  list(since: Date): Promise<ProviderBatch[]>;
}

/**
 * A provider call that failed. `retryable` follows the providers' documentation: 408/409/429/500/502/503/504/529 and
 * connection failures are worth retrying; 400/401/402/403/404/413 are not (the job fails with this message).
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504, 529]);

export function classifyStatus(provider: ProviderName, status: number | null | undefined, message: string, retryAfterMs: number | null): ProviderError {
  if (status === undefined || status === null) return new ProviderError(`${provider}: ${message}`, null, true, retryAfterMs);
  return new ProviderError(`${provider} answered ${status}: ${message}`, status, RETRYABLE.has(status), retryAfterMs);
}

/** A provider's calls with its SDK's errors turned into ProviderErrors by `wrap`. */
export function wrappedCalls(wrap: (err: unknown) => Error): <T>(fn: () => Promise<T>) => Promise<T> {
  return async (fn) => {
    try {
      return await fn();
    } catch (err) {
      throw wrap(err);
    }
  };
}
