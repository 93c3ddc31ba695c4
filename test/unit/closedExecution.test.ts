// Matching a row to the Temporal execution it mirrors, and how a close outside the workflow's own code reads in it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeClose, isRowsChain } from '../../src/temporal/closedExecution';

const at = (iso: string) => new Date(iso);

test('a running row matches only the chain it names; a never-reused id any chain', () => {
  assert.equal(isRowsChain('run-a', 'run-a', at('2026-01-01T00:00:00Z')), true);
  assert.equal(isRowsChain('run-a', 'run-b', at('2026-01-01T00:00:00Z')), false, 'a newer chain of the same workflow id');
  assert.equal(isRowsChain('only', 'run-b', at('2026-01-01T00:00:00Z')), true);
});

test('a queued row matches a chain started after it was (re)queued, never the one a rerun row still names', () => {
  const want = { startedAfter: at('2026-01-01T12:00:00Z'), notChain: 'old' };
  assert.equal(isRowsChain(want, 'new', at('2026-01-01T12:00:01Z')), true);
  assert.equal(isRowsChain(want, 'new', at('2026-01-01T12:00:00Z')), true, 'at the bound');
  assert.equal(isRowsChain(want, 'older', at('2026-01-01T11:59:59Z')), false, 'started before the row was queued');
  assert.equal(isRowsChain(want, 'old', at('2026-01-01T12:00:05Z')), false, 'the execution before the rerun, even if it started late');
  assert.equal(isRowsChain({ startedAfter: at('2026-01-01T12:00:00Z'), notChain: null }, 'first', at('2026-01-01T12:00:02Z')), true);
});

test('how each kind of close reads in the row', () => {
  assert.deepEqual(
    describeClose('TERMINATED', { workflowExecutionTerminatedEventAttributes: { reason: 'wrong site', identity: '42@ops' } }),
    { status: 'failed', error: 'terminated in Temporal by 42@ops: wrong site', byWorkflow: false },
  );
  assert.deepEqual(describeClose('TERMINATED', { workflowExecutionTerminatedEventAttributes: {} }), { status: 'failed', error: 'terminated in Temporal: no reason given', byWorkflow: false });
  assert.equal(describeClose('TERMINATED', { workflowExecutionTerminatedEventAttributes: { reason: 'x'.repeat(5000) } }).error.length, 2000);
  assert.deepEqual(describeClose('TIMED_OUT', undefined), { status: 'failed', error: 'timed out in Temporal: the workflow ran past its execution timeout', byWorkflow: false });
  assert.deepEqual(describeClose('CANCELLED', undefined), { status: 'cancelled', error: 'cancelled', byWorkflow: true });
  assert.deepEqual(
    describeClose('FAILED', { workflowExecutionFailedEventAttributes: { failure: { message: 'boom' } } }),
    { status: 'failed', error: 'failed in Temporal: boom', byWorkflow: true },
  );
});
