// Scores shown by the report and the exports. Pure functions, unit-tested (test/unit/score.test.ts).
//
// Page score (0–100):
//   100 − Σ over the page's DISTINCT finding codes of the code's severity penalty (critical 30, warning 8,
//   notice 2), floored at 0. A code counts once however often it occurs on the page (one "3 images without alt"
//   finding, not three). Site-level findings that list the page (e.g. canonical_to_error, duplicate_title on it)
//   count like its own findings. A page that could not be audited (status failed) scores 0, except the deliberate
//   skips robots_disallowed and not_html, which are not judged and score 100 − their findings (usually 100).
//   So: one critical problem → at most 70; four warnings → 68; a clean page → 100.
//
// Site health score (0–100):
//   share of the run's pages with no critical finding, × 100, rounded to one decimal. "Critical" = any critical
//   page-level or site-level finding on the page, or an audit failure other than the deliberate skips.
//   A run with no pages scores 100 (nothing is broken).
import { isDeliberateFailure } from './records';
import type { Severity } from './types';

export const SEVERITY_PENALTY: Readonly<Record<Severity, number>> = Object.freeze({ critical: 30, warning: 8, notice: 2 });

export interface ScoredPage {
  status: 'ok' | 'failed' | string;
  failureReason?: string | null;
  findings: ReadonlyArray<{ code: string; severity: Severity | string }>;
}

function failedForReal(p: ScoredPage): boolean {
  return p.status === 'failed' && !isDeliberateFailure(p.failureReason);
}

export function pageScore(p: ScoredPage): number {
  if (failedForReal(p)) return 0;
  const seen = new Map<string, number>();
  for (const f of p.findings) {
    const penalty = SEVERITY_PENALTY[f.severity as Severity] ?? 0;
    seen.set(f.code, Math.max(seen.get(f.code) ?? 0, penalty));
  }
  let score = 100;
  for (const penalty of seen.values()) score -= penalty;
  return Math.max(0, score);
}

export function hasCriticalFinding(p: ScoredPage): boolean {
  return failedForReal(p) || p.findings.some((f) => f.severity === 'critical');
}

export interface SiteHealth {
  /** 0–100, one decimal. */
  score: number;
  pages: number;
  pagesWithCritical: number;
}

/**
 * The health of `pages` pages of which `pagesWithCritical` have a critical finding (hasCriticalFinding), counted by
 * the caller as the pages stream by: a 100k-page report never holds its pages at once.
 */
export function siteHealth(pages: number, pagesWithCritical: number): SiteHealth {
  const score = pages === 0 ? 100 : Math.round(((pages - pagesWithCritical) / pages) * 1000) / 10;
  return { score, pages, pagesWithCritical };
}
