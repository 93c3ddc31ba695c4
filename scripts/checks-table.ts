// The check catalogue as the README's Markdown table. `npm run docs:checks` rewrites the table in README.md; without
// --write it prints the table. test/unit/checks.readme.test.ts fails when the README and the catalogue differ.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checksMarkdownTable, replaceChecksTable } from '../src/audit/checksTable';

const table = checksMarkdownTable();
if (process.argv.includes('--write')) {
  const file = path.join(__dirname, '..', 'README.md');
  const before = readFileSync(file, 'utf8');
  const after = replaceChecksTable(before, table);
  if (after !== before) writeFileSync(file, after);
  console.log(after === before ? 'README.md check table is up to date' : 'README.md check table rewritten');
} else {
  console.log(table);
}
