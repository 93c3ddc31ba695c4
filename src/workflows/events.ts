// Events on state changes, the durable way: the workflow that changes state starts a small child workflow (abandoned
// when its parent closes) whose activity delivers the webhook with retries and reports failures to Sentry. The parent
// never waits for the receiver, and the event outlives the parent. Deterministic: ids from workflow info, time from the
// workflow clock; the patch keeps histories recorded before events existed replayable.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  log,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createEventActivities } from '../activities/events';
import type { SitesweepEvent, SitesweepEventType } from '../alerts/events';
import { publicUrl } from '../alerts/redact';

type EventActivities = ReturnType<typeof createEventActivities>;

export const EVENTS_PATCH = 'sitesweep-events-v1';

const delivery = proxyActivities<EventActivities>({
  startToCloseTimeout: '30s',
  // A receiver down for up to a day still gets the event: 1 s, 2 s, 4 s … then every 5 min.
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: ['WebhookRejected'] },
});
const reporting = proxyActivities<EventActivities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } });

/** Delivers one event: the Sentry report of a failure first (best effort), then the webhook until it is accepted. */
export async function deliverEventWorkflow(event: SitesweepEvent): Promise<{ delivered: boolean }> {
  if (event.type.endsWith('.failed')) {
    await reporting.reportFailureEvent(event).catch((err: unknown) => log.warn('sentry report failed', { error: String(err) }));
  }
  try {
    const r = await delivery.deliverEvent(event);
    return { delivered: r.delivered };
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      log.warn('webhook event dropped', { id: event.id, error: err.cause.message });
      return { delivered: false };
    }
    throw err;
  }
}

export interface EmitInput {
  type: SitesweepEventType;
  subjectId: string | null;
  siteUrl?: string | null;
  error?: string | null;
  data?: Record<string, unknown>;
}

/** The event's id: the same for every replay and retry of this state change of this execution chain. */
export function eventIdFor(type: SitesweepEventType): string {
  const info = workflowInfo();
  return `${type}:${info.workflowId}:${info.firstExecutionRunId}`;
}

/** Starts the delivery of an event (not its completion). Safe in cancelled scopes; never fails the caller. */
export async function emitEvent(e: EmitInput): Promise<void> {
  if (!patched(EVENTS_PATCH)) return;
  const info = workflowInfo();
  const event: SitesweepEvent = {
    id: eventIdFor(e.type),
    type: e.type,
    occurredAt: new Date(Date.now()).toISOString(),
    workflowId: info.workflowId,
    subjectId: e.subjectId || null,
    siteUrl: publicUrl(e.siteUrl ?? null),
    error: e.error ? e.error.replace(/(\/\/[^/\s:@]*):[^@\s/]*@/g, '$1:[redacted]@') : null,
    data: e.data ?? {},
  };
  try {
    await CancellationScope.nonCancellable(() =>
      startChild(deliverEventWorkflow, { workflowId: `event:${event.id}`, args: [event], parentClosePolicy: ParentClosePolicy.ABANDON }),
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    log.warn('could not start event delivery', { id: event.id, error: String(err) });
  }
}
