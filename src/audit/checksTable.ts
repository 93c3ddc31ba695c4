// The README's check table, generated from the catalogue (the one source GET /api/checks and the dashboard read too).
import { CHECKS } from './catalogue';

export const CHECKS_TABLE_HEADER = '| code | scope | category | severity | what it finds | default threshold |';

/** The catalogue as a Markdown table: page checks, then site checks, each by category and code. */
export function checksMarkdownTable(): string {
  const rows = [...CHECKS].sort((a, b) => a.scope.localeCompare(b.scope) || a.category.localeCompare(b.category) || a.code.localeCompare(b.code));
  const lines = [CHECKS_TABLE_HEADER, '|---|---|---|---|---|---|'];
  for (const c of rows) {
    const t = c.threshold ? `\`${String(c.threshold.key)}\` ${c.threshold.default} ${c.threshold.unit}` : '';
    lines.push(`| \`${c.code}\` | ${c.scope} | ${c.category} | ${c.severity} | ${c.description.replace(/\|/g, '\\|')} | ${t} |`);
  }
  return lines.join('\n');
}

/** `readme` with its check table (header line to the first line that is not a table row) replaced; throws without one. */
export function replaceChecksTable(readme: string, table: string): string {
  const start = readme.indexOf(CHECKS_TABLE_HEADER);
  if (start < 0) throw new Error('README has no check table');
  let end = start;
  while (end < readme.length && readme.startsWith('|', end)) {
    const nl = readme.indexOf('\n', end);
    end = nl < 0 ? readme.length : nl + 1;
  }
  const after = readme.slice(end);
  return `${readme.slice(0, start)}${table}\n${after}`;
}
