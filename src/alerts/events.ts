// src/alerts: telling someone. Webhook events (this file: shape, signature, one delivery attempt), events the CLI
// raises (cliEvents.ts), Sentry (sentry.ts), and redaction (redact.ts, pure, shared with workflow code).
// Events sent to WEBHOOK_URL: the shape, the signature and one delivery attempt. Pure of Temporal: the delivery
// activity (src/activities/events.ts) calls deliverWebhook once per attempt and Temporal's retry policy does the rest.
import { createHmac } from 'node:crypto';
import { publicUrl, stripUserinfo } from './redact';

export { publicUrl, stripUserinfo };

export type SitesweepEventType = 'run.completed' | 'run.failed' | 'run.budget_broken' | 'batch.completed' | 'batch.failed' | 'ai_job.completed' | 'ai_job.failed';

/** **contract** of the webhook body. `id` is also the Idempotency-Key header: the same event always has the same id. */
export interface SitesweepEvent {
  id: string;
  type: SitesweepEventType;
  /** ISO time the state change happened (workflow time: the same on every delivery attempt). */
  occurredAt: string;
  workflowId: string;
  /** audit run id, batch id or AI job id, when known. */
  subjectId: string | null;
  siteUrl: string | null;
  error: string | null;
  /** Counts and small facts only (never options, credentials or page data). */
  data: Record<string, unknown>;
}

export const SIGNATURE_HEADER = 'x-sitesweep-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const EVENT_HEADER = 'x-sitesweep-event';

/** `sha256=<hex HMAC-SHA256 of the raw body>` with WEBHOOK_SECRET; a receiver recomputes it over the bytes it got. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}


/** Replace every known secret value in `text`. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = stripUserinfo(text);
  for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}

export class WebhookRejected extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    /** false for answers that a retry cannot change (400, 404, 410…). */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** One delivery attempt: resolves on 2xx, throws WebhookRejected otherwise. */
export async function deliverWebhook(
  event: SitesweepEvent,
  o: { url: string; secret: string | undefined; timeoutMs: number; signal?: AbortSignal },
): Promise<{ status: number }> {
  const body = JSON.stringify(event);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'sitesweep-webhook/1',
    [EVENT_HEADER]: event.type,
    [IDEMPOTENCY_HEADER]: event.id,
  };
  if (o.secret) headers[SIGNATURE_HEADER] = signBody(body, o.secret);
  const signals = [AbortSignal.timeout(o.timeoutMs), ...(o.signal ? [o.signal] : [])];
  let res: Response;
  try {
    res = await fetch(o.url, { method: 'POST', headers, body, signal: AbortSignal.any(signals), redirect: 'manual' });
  } catch (err) {
    throw new WebhookRejected(`webhook delivery failed: ${(err as Error).message}`, null, true);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return { status: res.status };
  // 408/425/429 and 5xx are temporary; other 4xx (and redirects, not followed with a signed body) will not change.
  const retryable = res.status >= 500 || [408, 425, 429].includes(res.status);
  throw new WebhookRejected(`webhook receiver answered ${res.status}`, res.status, retryable);
}
