// Parsing and checking a page is the crawl's main CPU cost (~2.5 ms of a 25 KB page, against ~1 ms to fetch and
// persist it). A worker process's main thread also runs the Temporal SDK, undici and the persist writer, so on a
// multi-core machine the checks run in worker threads (piscina) and the main thread stays free for I/O.
// With 0 threads (or in tests that build activity deps by hand) pages are analysed on the calling thread.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Piscina } from 'piscina';
import { analyzePage, type AnalyzeOptions, type PageAnalysis } from '../audit/analyzePage';
import type { FetchedPage } from '../audit/types';

export type Analyze = (page: FetchedPage, opts: AnalyzeOptions) => Promise<PageAnalysis>;

export interface AnalyzePool {
  analyze: Analyze;
  /** Pages handed to analysis and not answered yet (the bench samples it to see where pages wait). */
  pending(): number;
  close(): Promise<void>;
}

/** The worker file: compiled JavaScript under dist/; in a source checkout a shim that loads the TypeScript via tsx. */
function workerFile(): string {
  const js = path.join(__dirname, 'analyzeWorker.js');
  return existsSync(js) ? js : path.join(__dirname, 'analyzeWorker.dev.cjs');
}

/**
 * V8's young generation per analysis thread (its default grows to 3 x 16 MB semi-spaces on 64-bit). One page's parse
 * and checks allocate ~0.4 MB; at 12 MB the thread scavenged every ~8 pages, each time copying the page in progress
 * (10k bench, --trace-gc: 1,214 scavenges, 1.7 s of pauses and 28 full GCs, against 313 scavenges and 0.3 s for the
 * same pages analysed on a default heap). 24 MB: ~600 scavenges and 5 full GCs; 32 MB: 295 and 2, and per 10k pages
 * ~2.5 CPU-s less than at 12 MB (analysis thread and GC helpers, alternating runs), but the worker's peak RSS at 100k
 * pages was 379, 394 and 396 MB in three runs against a 400 MB budget (388 at 24 MB; 366-386 in six runs at 12 MB).
 */
const ANALYZE_YOUNG_GENERATION_MB = 24;
/**
 * Pages posted to one thread ahead of its answers. With one at a time the thread waits for the main thread to take
 * each answer and post the next page; when the main thread is busy (a persist chunk, a GC) the thread idled: at 10k
 * pages it was idle 48% of the run while 9 pages waited, and the crawl ran at ~340 pages/s. With the queue in the
 * thread's port it works through them whatever the main thread does (10k bench, 8 lanes of 100: 352 → 475 pages/s,
 * and 15% less worker CPU, some of it piscina's own queue).
 */
const ANALYZE_TASKS_PER_THREAD = 32;

export const analyzeInProcess: Analyze = async (page, opts) => analyzePage(page, opts);

export function createAnalyzePool(threads: number): AnalyzePool {
  if (threads <= 0) return { analyze: analyzeInProcess, pending: () => 0, close: async () => {} };
  // Analysis is stateless and its garbage short-lived: a bounded young generation per thread (see above) keeps each
  // thread's heap, and the worker's RSS, in check.
  const pool = new Piscina({
    filename: workerFile(), minThreads: threads, maxThreads: threads, idleTimeout: 60_000,
    resourceLimits: { maxYoungGenerationSizeMb: ANALYZE_YOUNG_GENERATION_MB },
    concurrentTasksPerWorker: ANALYZE_TASKS_PER_THREAD,
    // piscina records every task's run and wait time in histograms that nothing here reads: 6-10 us of CPU per page
    // (20,000 tasks of a 25 KB page, alternating, three rounds).
    recordTiming: false,
  });
  let pending = 0;
  const settled = () => { pending--; };
  return {
    analyze: (page, opts) => {
      pending++;
      const answer = pool.run({ page, opts }) as Promise<PageAnalysis>;
      answer.then(settled, settled);
      return answer;
    },
    pending: () => pending,
    close: () => pool.destroy(),
  };
}
