// No URL is requested twice in a run: the run's book of answered URLs (crawl/fetcher HopBook). Every request of the
// crawl enters its URL here first. In this process, a URL has at most one request in flight, and its answer (a
// redirect's Location, or a final response's status, type and size, never its headers or body) is kept; a redirect
// hop whose URL was answered, or is being answered, waits for that answer instead of requesting it again, and so does
// a page URL known to redirect (a redirect's record needs no body). A hop this process has not seen is looked up in
// the frontier: a URL another activity or worker completed answers from its page row.
//
// The rule for a redirect whose chain stops at a known hop: its record keeps its own hops, and the final status (and
// content type, size, time to first byte, failure) of the known URL's answer; the body is the target's own record.
//
// A cache, never the source of truth: records still reach the database only through persistChunk (frontier claim
// and complete), so a retried activity or another worker never loses a page or writes one twice; a lost answer only
// costs a request. A URL whose request failed without an answer (network, cancellation, a retried 5xx) is requested
// again by whoever needs it next.
import type { HopAnswer, HopBook, HopTicket } from '../crawl/fetcher';
import { normalizeUrl, urlHash } from '../audit/url';
import * as pages from '../db/repositories/pages';
import type { Queryable } from '../db/repositories/queryable';

/** Answers another activity or worker left in the frontier (null: not completed with a response). */
export type FrontierAnswer = (url: string, hash: string) => Promise<HopAnswer | null>;

interface Entry {
  answer: Promise<HopAnswer | null>;
  settled: boolean;
}

/** Settled answers kept per run (in flight ones are never dropped); older ones fall back to the frontier lookup. */
const ANSWERS_PER_RUN = 20_000;
const RUNS = 8;
const books = new Map<string, RunHopBook>();

/** The book of a run's execution in this process (a re-run starts a new one). */
export function runHopBook(key: string, lookup: FrontierAnswer): HopBook {
  let book = books.get(key);
  if (book) books.delete(key);
  else book = new RunHopBook(lookup);
  books.set(key, book); // most recently used last
  while (books.size > RUNS) books.delete(books.keys().next().value!);
  return book;
}

export class RunHopBook implements HopBook {
  private readonly entries = new Map<string, Entry>();
  private settledCount = 0;

  constructor(private readonly lookup: FrontierAnswer | null = null, private readonly limit = ANSWERS_PER_RUN) {}

  enter(url: string, hop: boolean): HopTicket {
    // Keyed by the exact URL: normalizeUrl drops tracking parameters, and a redirect that adds one is another request.
    const key = url;
    const entry = this.entries.get(key);
    if (entry && hop) return { answer: entry.answer };
    // The URL a caller asked for is requested unless it is known to redirect (a redirect's body is not read): a final
    // answer has no body, and the page's record needs it.
    if (entry) return { answer: entry.answer.then((a) => (a?.kind === 'redirect' ? a : null)) };
    let resolve!: (a: HopAnswer | null) => void;
    const created: Entry = { answer: new Promise((r) => { resolve = r; }), settled: false };
    this.entries.set(key, created);
    const settle = (a: HopAnswer | null) => {
      if (created.settled || this.entries.get(key) !== created) return resolve(a);
      created.settled = true;
      resolve(a);
      // No answer: forget the URL, so the next caller requests it.
      if (a === null) this.entries.delete(key);
      else this.trim(++this.settledCount);
    };
    // The frontier holds normalized URLs: only a URL that is its own normalized form can be one of its rows.
    const answer = hop && this.lookup && normalizeUrl(key) === key ? this.lookup(key, urlHash(key)).catch(() => null) : Promise.resolve(null);
    return { answer, settle };
  }

  private trim(count: number): void {
    if (count <= this.limit) return;
    for (const [k, e] of this.entries) {
      if (this.settledCount <= this.limit * 0.9) break;
      if (!e.settled) continue;
      this.entries.delete(k);
      this.settledCount--;
    }
  }
}

/**
 * A URL another activity or worker of this execution completed, as an answer: a redirect answers with its first hop
 * (the chain then looks up the next URL in turn), any other response with its final status. Failures without a
 * response (timeouts, robots-disallowed…) are not answers: the URL is requested.
 */
export function frontierAnswer(db: Queryable, runId: string, executionId: string): FrontierAnswer {
  return async (_url, hash) => {
    const r = await pages.completedAnswer(db, runId, executionId, hash);
    if (!r || !r.status_code) return null;
    const chain = (r.redirect_chain ?? []) as Array<{ url: string; status: number }>;
    if (chain.length > 0) {
      const location = chain[1]?.url ?? r.final_url;
      return location && URL.canParse(location) ? { kind: 'redirect', status: chain[0].status, location } : null;
    }
    return {
      kind: 'final', statusCode: r.status_code, contentType: r.content_type, bytes: r.bytes ?? 0, ttfbMs: r.ttfb_ms ?? 0,
      failureReason: r.failure_reason, ...(r.failure_detail ? { failureDetail: r.failure_detail } : {}),
    };
  };
}

/**
 * Records of redirect targets a chain fetched while another step of the run held them (claimed, not started yet):
 * that step takes the record instead of requesting the URL again. Per run, in this process, a few hundred at most
 * (a cache: a record not taken in time only costs a request).
 */
export class RecordShelf<T> {
  private readonly items = new Map<string, Promise<T>>();
  constructor(private readonly limit = 256) {}
  put(hash: string, record: Promise<T>): void {
    this.items.delete(hash);
    this.items.set(hash, record);
    while (this.items.size > this.limit) this.items.delete(this.items.keys().next().value!);
  }
  take(hash: string): Promise<T> | undefined {
    const r = this.items.get(hash);
    this.items.delete(hash);
    return r;
  }
}

const shelves = new Map<string, RecordShelf<unknown>>();

/** The shelf of a run's execution in this process. */
export function runRecordShelf<T>(key: string): RecordShelf<T> {
  let shelf = shelves.get(key);
  if (shelf) shelves.delete(key);
  else shelf = new RecordShelf<unknown>();
  shelves.set(key, shelf);
  while (shelves.size > RUNS) shelves.delete(shelves.keys().next().value!);
  return shelf as RecordShelf<T>;
}
