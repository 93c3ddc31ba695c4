// The README's check table is generated from the catalogue (npm run docs:checks); this fails when they drift apart.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHECKS } from '../../src/audit/catalogue';
import { checksMarkdownTable, replaceChecksTable } from '../../src/audit/checksTable';

const README = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

void test('the README check table is exactly the catalogue (run `npm run docs:checks` to regenerate it)', () => {
  const table = checksMarkdownTable();
  assert.equal(replaceChecksTable(README, table), README, 'README.md check table differs from src/audit/catalogue.ts: run npm run docs:checks');
  // One row per check, so a check missing from the catalogue is missing from the README too.
  assert.equal(table.split('\n').length, CHECKS.length + 2);
});

void test('replaceChecksTable swaps only the table and can detect a stale one', () => {
  const doc = `# T\n\n${checksMarkdownTable().split('\n').slice(0, 3).join('\n')}\n\nAfter.\n`;
  const out = replaceChecksTable(doc, checksMarkdownTable());
  assert.ok(out.startsWith('# T\n\n| code |'));
  assert.ok(out.endsWith('|\n\nAfter.\n'));
  assert.notEqual(out, doc);
  assert.equal(replaceChecksTable(out, checksMarkdownTable()), out);
  assert.throws(() => replaceChecksTable('no table', checksMarkdownTable()), /no check table/);
});
