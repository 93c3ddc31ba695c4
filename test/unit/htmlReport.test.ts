// The HTML report's site findings say where to act: a broken link's target comes with the pages that link to it (and
// their anchor texts), a duplicate title's page with the rest of its group; long lists are cut and counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findCheck } from '../../src/audit/catalogue';
import { renderHtmlReport, type HtmlReportInput } from '../../src/reports/html';

const check = (code: string, count: number) => ({ ...findCheck(code)!, count });
const gone = 'http://s.test/gone';
const base: HtmlReportInput = {
  runId: 'r1', siteUrl: 'http://s.test/', status: 'completed', healthScore: 90, averagePageScore: 70, pages: 10, pagesWithCritical: 1,
  bySeverity: { critical: 1, warning: 1 }, statusCodes: { 200: 9, 404: 1 }, failureReasons: [], pagesAudited: 10, pagesFailed: 0,
  durationMs: 1_000, generatedAt: '2026-12-05T00:00:00.000Z',
  issues: [check('broken_internal_link', 1), check('duplicate_title', 8)],
  affected: {
    broken_internal_link: {
      count: 1,
      items: [{ url: gone, detail: 'HTTP 404', sources: Array.from({ length: 7 }, (_, i) => ({ from: `http://s.test/p${i}`, to: gone, text: i === 0 ? 'old <offer>' : '' })) }],
    },
    duplicate_title: {
      count: 8,
      items: [{ url: 'http://s.test/a', detail: 'Home', group: ['http://s.test/a', 'http://s.test/b', 'http://s.test/c'], groupSize: 8 }],
    },
  },
};

/** The text of one finding's <details> element, tags removed. */
function findingText(html: string, code: string): string {
  const m = new RegExp(`<details[^>]*id="check-${code}"[^>]*>([\\s\\S]*?)</details>`).exec(html);
  assert.ok(m, code);
  return m[1].replace(/<[^>]+>/g, '');
}

test('a broken link lists the pages that link to it, with anchor texts, five shown and the rest counted', () => {
  const html = renderHtmlReport(base);
  const text = findingText(html, 'broken_internal_link');
  assert.match(text, /http:\/\/s\.test\/gone — HTTP 404linked from http:\/\/s\.test\/p0 “old &lt;offer&gt;”, http:\/\/s\.test\/p1, http:\/\/s\.test\/p2, http:\/\/s\.test\/p3, http:\/\/s\.test\/p4, … 2 more/);
  assert.ok(html.includes('<a href="http://s.test/p4">'), 'sources are links');
  assert.ok(!html.includes('http://s.test/p5'), 'the sixth is counted, not listed');
});

test('a link target whose source list was cut counts every source', () => {
  const item = { ...base.affected.broken_internal_link.items[0], sourcesTotal: 250 };
  const text = findingText(renderHtmlReport({ ...base, affected: { ...base.affected, broken_internal_link: { count: 1, items: [item] } } }), 'broken_internal_link');
  assert.match(text, /http:\/\/s\.test\/p4, … 245 more/);
});

test('a grouped finding lists the other pages of its group and counts the rest', () => {
  const text = findingText(renderHtmlReport(base), 'duplicate_title');
  assert.match(text, /http:\/\/s\.test\/a — Homewith http:\/\/s\.test\/b, http:\/\/s\.test\/c, … 5 more/);
});

test('a page finding renders as before: its page and detail only', () => {
  const html = renderHtmlReport({ ...base, issues: [check('title_missing', 1)], affected: { title_missing: { count: 1, items: [{ url: 'http://s.test/x', detail: null }] } } });
  assert.equal(findingText(html, 'title_missing').includes('linked from'), false);
  assert.ok(!html.includes('class="related"'));
});
