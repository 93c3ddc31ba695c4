// Delivery of run/batch/AI-job events: one webhook POST per attempt (Temporal retries it with backoff for up to a day, so
// a receiver that is down for a while still gets the event once it is back), and the Sentry report of a failure.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { alerts } from '../alerts/sentry';
import { deliverWebhook, WebhookRejected, type SitesweepEvent } from '../alerts/events';
import type { ActivityDeps } from './deps';

export function createEventActivities(deps: Pick<ActivityDeps, 'alerts' | 'log'>) {
  return {
    async deliverEvent(event: SitesweepEvent): Promise<{ delivered: boolean; status: number | null; attempt: number }> {
      const webhook = deps.alerts?.webhook;
      const attempt = Context.current().info.attempt;
      if (!webhook) return { delivered: false, status: null, attempt };
      try {
        const { status } = await deliverWebhook(event, { ...webhook, signal: Context.current().cancellationSignal });
        deps.log.info({ event: event.type, id: event.id, attempt, status }, 'webhook event delivered');
        return { delivered: true, status, attempt };
      } catch (err) {
        const rejected = err instanceof WebhookRejected ? err : new WebhookRejected(String(err), null, true);
        deps.log.warn({ event: event.type, id: event.id, attempt, status: rejected.status, err: rejected.message }, 'webhook delivery failed');
        if (!rejected.retryable) throw ApplicationFailure.nonRetryable(rejected.message, 'WebhookRejected');
        throw ApplicationFailure.retryable(rejected.message, 'WebhookUnavailable');
      }
    },

    /** A failed run/batch/AI job → one Sentry event (no-op without SENTRY_DSN). */
    async reportFailureEvent(event: SitesweepEvent): Promise<{ reported: boolean }> {
      const a = alerts();
      if (!a.enabled) return { reported: false };
      a.failure(event);
      await a.flush(5_000);
      return { reported: true };
    },
  };
}
