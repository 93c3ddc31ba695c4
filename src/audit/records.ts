// Shape helpers for page records that both the audit activity and the workflow build (pure, deterministic).
import type { ClaimedUrl, PageRecord } from '../activities/types';

/** A URL that could not be audited: kept with its reason, so the run goes on and the report says why. */
export function failedPageRecord(u: ClaimedUrl, reason: string, detail: string, attempts: number): PageRecord {
  return {
    url: u.url, urlHash: u.urlHash, depth: u.depth, status: 'failed', statusCode: null, finalUrl: null, contentType: null,
    ttfbMs: null, durationMs: null, bytes: null, redirectChain: [], title: null, description: null, h1: null, h1Count: null,
    canonical: null, indexable: null, noindex: null, wordCount: null, lang: null, contentHash: null, simhash: null,
    issues: [], data: {}, failureReason: reason, failureDetail: detail.slice(0, 500), attempts, links: [],
  };
}
