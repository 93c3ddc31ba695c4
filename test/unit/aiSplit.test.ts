// Splitting a job into provider batches under the request-count and byte limits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignParts, RequestTooLargeError } from '../../src/ai/split';

test('8 requests, 3 a batch: parts 0,0,0,1,1,1,2,2', () => {
  assert.deepEqual(assignParts(Array(8).fill(10), { maxRequests: 3, maxBytes: 1e9 }), { parts: [0, 0, 0, 1, 1, 1, 2, 2], count: 3 });
});

test('the byte limit closes a part before the request that would overflow it', () => {
  assert.deepEqual(assignParts([40, 40, 30, 100, 1], { maxRequests: 100, maxBytes: 100 }), { parts: [0, 0, 1, 2, 3], count: 4 });
});

test('nothing to send: no part; one request over the byte limit: refused', () => {
  assert.deepEqual(assignParts([], { maxRequests: 3, maxBytes: 10 }), { parts: [], count: 0 });
  assert.throws(() => assignParts([5, 11], { maxRequests: 3, maxBytes: 10 }), RequestTooLargeError);
});
