// Page score and site health score (src/audit/score.ts): the documented formula, its edges, and what it ignores.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasCriticalFinding, pageScore, SEVERITY_PENALTY, siteHealth, type ScoredPage } from '../../src/audit/score';

const f = (code: string, severity: string) => ({ code, severity });

void test('a clean page scores 100', () => {
  assert.equal(pageScore({ status: 'ok', findings: [] }), 100);
});

void test('each distinct code deducts its severity penalty once', () => {
  assert.deepEqual(SEVERITY_PENALTY, { critical: 30, warning: 8, notice: 2 });
  assert.equal(pageScore({ status: 'ok', findings: [f('status_4xx', 'critical')] }), 70);
  assert.equal(pageScore({ status: 'ok', findings: [f('a', 'warning'), f('b', 'warning'), f('c', 'warning'), f('d', 'warning')] }), 68);
  assert.equal(pageScore({ status: 'ok', findings: [f('n', 'notice')] }), 98);
  // The same code twice (e.g. a page finding and a site finding with one code) counts once.
  assert.equal(pageScore({ status: 'ok', findings: [f('dup', 'warning'), f('dup', 'warning')] }), 92);
  assert.equal(pageScore({ status: 'ok', findings: [f('x', 'critical'), f('y', 'warning'), f('z', 'notice')] }), 60);
});

void test('the score floors at 0 and unknown severities cost nothing', () => {
  const many = Array.from({ length: 5 }, (_, i) => f(`c${i}`, 'critical'));
  assert.equal(pageScore({ status: 'ok', findings: many }), 0);
  assert.equal(pageScore({ status: 'ok', findings: [f('odd', 'info')] }), 100);
});

void test('failed pages score 0, deliberate skips are not judged', () => {
  assert.equal(pageScore({ status: 'failed', failureReason: 'timeout', findings: [] }), 0);
  assert.equal(pageScore({ status: 'failed', failureReason: 'robots_disallowed', findings: [] }), 100);
  assert.equal(pageScore({ status: 'failed', failureReason: 'not_html', findings: [] }), 100);
  assert.equal(hasCriticalFinding({ status: 'failed', failureReason: 'timeout', findings: [] }), true);
  assert.equal(hasCriticalFinding({ status: 'failed', failureReason: 'not_html', findings: [] }), false);
  assert.equal(hasCriticalFinding({ status: 'ok', findings: [f('w', 'warning')] }), false);
  assert.equal(hasCriticalFinding({ status: 'ok', findings: [f('c', 'critical')] }), true);
});

void test('site health is the share of pages without a critical finding, one decimal', () => {
  // As the run report counts them: page by page, then siteHealth of the counts.
  const health = (pages: ScoredPage[]) => siteHealth(pages.length, pages.filter(hasCriticalFinding).length);
  assert.deepEqual(health([]), { score: 100, pages: 0, pagesWithCritical: 0 });
  const pages = [
    { status: 'ok', findings: [] },
    { status: 'ok', findings: [f('w', 'warning'), f('n', 'notice')] },
    { status: 'ok', findings: [f('c', 'critical')] },
  ];
  assert.deepEqual(health(pages), { score: 66.7, pages: 3, pagesWithCritical: 1 });
  assert.deepEqual(health([...pages, { status: 'failed', failureReason: 'dns', findings: [] }]), { score: 50, pages: 4, pagesWithCritical: 2 });
  assert.deepEqual(health([...pages, { status: 'failed', failureReason: 'not_html', findings: [] }]), { score: 75, pages: 4, pagesWithCritical: 1 });
  assert.equal(health([{ status: 'ok', findings: [f('c', 'critical')] }]).score, 0);
  assert.deepEqual(siteHealth(3, 2), { score: 33.3, pages: 3, pagesWithCritical: 2 });
});
