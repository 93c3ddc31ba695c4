// The SDK's logs through pino: levels kept, bigints made JSON-safe, and for the CLI (which prints each run's outcome
// itself) a workflow's failure, or an activity that completed after its cancelled run, is not a warning line after its
// own message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { pinoSdkLogger } from '../../src/temporal/runtime';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

test('SDK entries keep their level and message; bigints become strings', () => {
  const { log, lines } = capture('debug');
  const sdk = pinoSdkLogger(log);
  sdk.warn('Workflow failed', { workflowId: 'w1' });
  sdk.info('Worker state changed', { attempt: 3n });
  assert.deepEqual(lines.map((l) => [l.level, l.msg, l.component]), [[40, 'Workflow failed', 'temporal-sdk'], [30, 'Worker state changed', 'temporal-sdk']]);
  assert.equal(lines[1].attempt, '3');
});

test('with outcomesReported a workflow failure is debug (below the CLI\'s warn), other warnings stay', () => {
  const { log, lines } = capture('warn');
  const sdk = pinoSdkLogger(log, { outcomesReported: true });
  sdk.warn('Workflow failed', { workflowId: 'w1' });
  // Core's words when a crawl step completes after the run was cancelled (seen after Ctrl-C of `sitesweep audit`).
  sdk.warn('Activity not found on completion. This may happen if the activity has already been cancelled but completed anyway.', { details: 'Status { code: NotFound }' });
  sdk.warn('Activity heartbeat failed', { activityId: 'a1' });
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [[40, 'Activity heartbeat failed']]);
  const verbose = capture('debug');
  pinoSdkLogger(verbose.log, { outcomesReported: true }).warn('Workflow failed', {});
  assert.deepEqual(verbose.lines.map((l) => [l.level, l.msg]), [[20, 'Workflow failed']]);
});
