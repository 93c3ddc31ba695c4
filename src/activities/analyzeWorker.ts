// Runs in a worker thread of the analysis pool (src/activities/analyzePool.ts): one page's parse and checks.
import { analyzePage, type AnalyzeOptions } from '../audit/analyzePage';
import type { FetchedPage } from '../audit/types';

export default function analyze({ page, opts }: { page: FetchedPage; opts: AnalyzeOptions }) {
  return analyzePage(page, opts);
}
