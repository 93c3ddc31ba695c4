// How a startup failure quotes its cause: the first non-empty line, whole when short; a long one (the Temporal SDK's
// download error carries its URL) cut at a word and marked as cut, not ended mid-URL as if that were all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstLine } from '../../src/startup';

test('firstLine: the first non-empty line, trimmed', () => {
  assert.equal(firstLine(new Error('\n  connect ECONNREFUSED 127.0.0.1:7233  \nat stack')), 'connect ECONNREFUSED 127.0.0.1:7233');
  assert.equal(firstLine('plain text'), 'plain text');
});

test('firstLine: a long line is cut at a word and ends with an ellipsis', () => {
  const long = `Failed to download the Temporal CLI: error sending request for url (https://temporal.download/cli/${'x'.repeat(200)}?platform=linux&arch=amd64&sdk-version=1.24.0) because the network is unreachable`;
  const out = firstLine(new Error(long));
  assert.ok(out.length <= 302, String(out.length));
  assert.ok(out.endsWith(' …'), out);
  assert.ok(long.startsWith(out.slice(0, -2)), 'a prefix of the message, cut where a word ends');
});
