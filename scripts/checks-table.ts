// Prints the check catalogue as a Markdown table (pasted into README.md; GET /api/checks serves the same data).
import { CHECKS } from '../src/audit/catalogue';

const rows = [...CHECKS].sort((a, b) => a.scope.localeCompare(b.scope) || a.category.localeCompare(b.category) || a.code.localeCompare(b.code));
console.log('| code | scope | category | severity | what it finds | default threshold |');
console.log('|---|---|---|---|---|---|');
for (const c of rows) {
  const t = c.threshold ? `\`${String(c.threshold.key)}\` ${c.threshold.default} ${c.threshold.unit}` : '';
  console.log(`| \`${c.code}\` | ${c.scope} | ${c.category} | ${c.severity} | ${c.description.replace(/\|/g, '\\|')} | ${t} |`);
}
