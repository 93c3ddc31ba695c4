// Reads a site run's whole history chain (following continue-as-new) and says where its time went: per activity type
// the count, run time (started → completed) and queue time (scheduled → started), workflow task time, and the bytes
// of activity inputs/results the history carries.
import type { Client } from '@temporalio/client';

export interface ActivityStats {
  count: number;
  /** Sum of started → closed. */
  runMs: number;
  /** Sum of scheduled → started (waiting for a worker slot / poller). */
  queueMs: number;
  maxRunMs: number;
  /** Sum of scheduled → closed (what the workflow waits for, retries included). */
  scheduledToCloseMs: number;
  inputBytes: number;
  resultBytes: number;
  attempts: number;
  /** First start and last close, ms after the chain's first event (where in the run this activity type ran). */
  firstStartMs: number;
  lastCloseMs: number;
}

export interface HistoryStats {
  executions: number;
  continuedAsNew: number;
  events: number;
  /** Activity input + result payload bytes over the chain (the bulk of history size). */
  payloadBytes: number;
  maxExecutionPayloadBytes: number;
  maxExecutionEvents: number;
  workflowTasks: number;
  /** Sum of workflow task scheduled → completed. */
  workflowTaskMs: number;
  /** First execution's start → last execution's close event (the run's wall time as Temporal saw it). */
  workflowMs: number;
  /** Event type of the last execution's last event, e.g. WorkflowExecutionCompleted. */
  closeEvent: string;
  activities: Record<string, ActivityStats>;
}

type Ts = { seconds?: unknown; nanos?: number | null } | null | undefined;

function tsMs(t: Ts): number {
  if (!t) return 0;
  const s = t.seconds as { toNumber?: () => number } | number | string | undefined;
  const sec = typeof s === 'object' && s?.toNumber ? s.toNumber() : Number(s ?? 0);
  return sec * 1000 + (t.nanos ?? 0) / 1e6;
}

type PayloadsLike = { payloads?: Array<{ data?: Uint8Array | null; metadata?: Record<string, Uint8Array> | null }> | null } | null | undefined;

function payloadBytes(p: PayloadsLike): number {
  let n = 0;
  for (const x of p?.payloads ?? []) n += x.data?.length ?? 0;
  return n;
}

function idOf(v: unknown): string {
  return String(v);
}

function closeEventName(e: any): string {
  for (const k of Object.keys(e)) {
    const m = /^(workflowExecution\w+)EventAttributes$/.exec(k);
    if (m && e[k]) return m[1][0].toUpperCase() + m[1].slice(1);
  }
  return 'unknown';
}

/** Run id of a workflow chain's first execution, from its latest execution's start event. */
export async function firstExecutionRunId(client: Client, workflowId: string): Promise<string> {
  const history: { events?: any[] | null } = await client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const id: string | undefined = started?.firstExecutionRunId || started?.originalExecutionRunId;
  if (!id) throw new Error(`no first execution run id in ${workflowId}'s history`);
  return id;
}

export async function historyStats(client: Client, workflowId: string, firstRunId: string): Promise<HistoryStats> {
  const out: HistoryStats = {
    executions: 0, continuedAsNew: 0, events: 0, payloadBytes: 0, maxExecutionPayloadBytes: 0, maxExecutionEvents: 0,
    workflowTasks: 0, workflowTaskMs: 0, workflowMs: 0, closeEvent: '', activities: {},
  };
  let firstStart: number | null = null;
  let runId: string | null = firstRunId;
  while (runId) {
    const history: { events?: any[] | null } = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: any[] = history.events ?? [];
    out.executions++;
    out.events += events.length;
    out.maxExecutionEvents = Math.max(out.maxExecutionEvents, events.length);
    let execBytes = 0;
    const scheduled = new Map<string, { type: string; at: number }>();
    const started = new Map<string, { at: number; attempt: number }>();
    const wfScheduled = new Map<string, number>();
    // Activity windows are measured from the chain's first event.
    const t0 = firstStart ?? (events.length > 0 ? tsMs(events[0].eventTime as Ts) : 0);
    for (const e of events) {
      const at = tsMs(e.eventTime as Ts);
      const id = idOf(e.eventId);
      if (e.activityTaskScheduledEventAttributes) {
        const a = e.activityTaskScheduledEventAttributes;
        const type = a.activityType?.name ?? '?';
        scheduled.set(id, { type, at });
        const s = (out.activities[type] ??= { count: 0, runMs: 0, queueMs: 0, maxRunMs: 0, scheduledToCloseMs: 0, inputBytes: 0, resultBytes: 0, attempts: 0, firstStartMs: Infinity, lastCloseMs: 0 });
        const b = payloadBytes(a.input as PayloadsLike);
        s.inputBytes += b;
        execBytes += b;
      } else if (e.activityTaskStartedEventAttributes) {
        const a = e.activityTaskStartedEventAttributes;
        started.set(idOf(a.scheduledEventId), { at, attempt: a.attempt ?? 1 });
      } else if (e.activityTaskCompletedEventAttributes || e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes) {
        const a = (e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes)!;
        const sch = scheduled.get(idOf(a.scheduledEventId));
        const st = started.get(idOf(a.scheduledEventId));
        if (!sch) continue;
        const s = out.activities[sch.type];
        s.count++;
        s.attempts += st?.attempt ?? 1;
        s.scheduledToCloseMs += at - sch.at;
        s.lastCloseMs = Math.max(s.lastCloseMs, at - t0);
        if (st) {
          s.firstStartMs = Math.min(s.firstStartMs, st.at - t0);
          s.runMs += at - st.at;
          s.queueMs += st.at - sch.at;
          s.maxRunMs = Math.max(s.maxRunMs, at - st.at);
        }
        if (e.activityTaskCompletedEventAttributes) {
          const b = payloadBytes(e.activityTaskCompletedEventAttributes.result as PayloadsLike);
          s.resultBytes += b;
          execBytes += b;
        }
      } else if (e.workflowTaskScheduledEventAttributes) {
        wfScheduled.set(id, at);
      } else if (e.workflowTaskCompletedEventAttributes) {
        const sch = wfScheduled.get(idOf(e.workflowTaskCompletedEventAttributes.scheduledEventId));
        out.workflowTasks++;
        if (sch !== undefined) out.workflowTaskMs += at - sch;
      }
    }
    out.payloadBytes += execBytes;
    out.maxExecutionPayloadBytes = Math.max(out.maxExecutionPayloadBytes, execBytes);
    if (firstStart === null && events.length > 0) firstStart = tsMs(events[0].eventTime as Ts);
    const last: any = events[events.length - 1];
    if (last) {
      out.workflowMs = Math.round(tsMs(last.eventTime as Ts) - (firstStart ?? 0));
      out.closeEvent = closeEventName(last);
    }
    const next: string | undefined = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (next) {
      out.continuedAsNew++;
      runId = next;
    } else {
      runId = null;
    }
  }
  for (const s of Object.values(out.activities)) {
    s.runMs = Math.round(s.runMs);
    s.queueMs = Math.round(s.queueMs);
    s.maxRunMs = Math.round(s.maxRunMs);
    s.scheduledToCloseMs = Math.round(s.scheduledToCloseMs);
    s.firstStartMs = Number.isFinite(s.firstStartMs) ? Math.round(s.firstStartMs) : 0;
    s.lastCloseMs = Math.round(s.lastCloseMs);
  }
  out.workflowTaskMs = Math.round(out.workflowTaskMs);
  return out;
}
