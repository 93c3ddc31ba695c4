// The crawl activity: one lane step of a site run. It claims a batch of URLs from the frontier under its token, audits
// them (fetch, parse, check) with bounded concurrency, and persists the records as they come, in chunks, through
// persist.ts. Records never travel through workflow history: the activity returns counts. A retry (another worker,
// after this one died) re-claims the same token and gets only the URLs not persisted yet, so it resumes where the
// dead worker stopped, and nothing is written twice.
import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { failedPageRecord } from '../audit/records';
import { runSiteAndOptions } from '../db/repositories/runs';
import { blockedPageFinding, blockedResourcesFinding, withFinding } from '../audit/checks/robots';
import { robotsUserAgentToken } from '../audit/robots';
import { normalizeUrl, siteHostOf, urlHash } from '../audit/url';
import type { FetchResult, HopBook } from '../crawl/fetcher';
import { hostKey, siteHostLimits, type HostLimits } from '../crawl/politeness';
import { auditPageSeconds, pageFailuresTotal, pagesAuditedTotal, persistBatchSeconds } from '../metrics';
import { analyzeInProcess } from './analyzePool';
import type { ActivityDeps } from './deps';
import { claim, claimMore, defer, MAX_DEFERS, release, type ClaimedRow } from './frontier';
import { frontierAnswer, runHopBook, runRecordShelf } from './hopBook';
import { persistChunk, persistScope, readCounters } from './persist';
import type { Scope } from '../audit/scope';
import { renderAndAnalyze } from './renderPage';
import { pageTargets } from './targets';
import { crawlFetchOptions, loadRunContext, runHeaders, type RunContext } from './runContext';
import type { ClaimedUrl, CrawlBatchInput, CrawlBatchResult, FailClaimInput, LinkRecord, PageRecord } from './types';

/** Heartbeat details: small on purpose (the frontier, not the heartbeat, knows what is done). */
export interface CrawlHeartbeat {
  claimToken: string;
  /** Records persisted by this attempt (-1 while waiting for the database). */
  persisted: number;
  waitingForDatabase?: boolean;
}

/** A chunk write that keeps failing (database down) is retried inside the activity this long before giving up. */
const PERSIST_STALL_MAX_MS = 10 * 60_000;
/**
 * A step whose queue runs dry tops its claim up with more URLs (claimMore), up to this many times its batch size and
 * during its first TOP_UP_FOR_MS, so the last slow URL of a batch does not idle its lane; the window is short because
 * the workflow's progress (and a re-run's granularity) moves once per step.
 */
const TOP_UP_FACTOR = 2;
const TOP_UP_FOR_MS = 2_000;
/** Audited pages wait at most this long for a chunk to fill before they are persisted (what a killed worker can lose). */
const FLUSH_AFTER_MS = 1_000;

const MAX_LINKS_PER_PAGE = 1_000;
const MAX_EXTERNAL_PER_PAGE = 200;

export function createAuditActivities(deps: ActivityDeps) {
  const { db, fetcher, crawl, log } = deps;
  const analyze = deps.analyze ?? analyzeInProcess;

  /**
   * Fetches and audits one URL. When it redirects to a page of the run's scope, `onTarget` may take the target's record
   * too (built from the response the redirect chain already fetched), so the target is not fetched a second time.
   */
  async function auditOne(
    u: ClaimedUrl, options: CrawlBatchInput['options'], run: RunContext, signal: AbortSignal, limits: HostLimits,
    onTarget?: { scope: Scope; offer: (target: ClaimedUrl, build: () => Promise<PageRecord>) => void }, hops?: HopBook,
  ): Promise<PageRecord> {
    if (options.respectRobots && !run.robots.isAllowed(u.url, options.userAgent)) {
      return { ...failedPageRecord(u, 'robots_disallowed', 'Disallowed by robots.txt', 0), issues: [blockedPageFinding()] };
    }
    // The per-host gate shared by every worker (leased slots in PostgreSQL): concurrency and crawl delay hold across
    // batches, runs and worker processes.
    // The run's credentials go to the site's own host only, as in discovery: not to another subdomain of a run that
    // counts subdomains as internal.
    const credentials = siteHostOf(u.url) === run.siteHost ? runHeaders(options, crawl.secretsKey) : {};
    const res: FetchResult = await deps.politeness.run(hostKey(u.url), limits, () => fetcher.fetchPage(u.url, {
      ...crawlFetchOptions(options, crawl, signal, credentials),
      accept: 'html',
      hops,
    }), signal);
    if (res.failureReason && res.statusCode === 0) {
      return failedPageRecord(u, res.failureReason, res.failureDetail ?? res.failureReason, res.attempts);
    }
    const redirected = res.redirectChain.length > 0;
    // A chain that stopped at a URL the run already answered has no body to offer: that URL has (or gets) its own record.
    if (redirected && !res.finalKnown && onTarget && options.followLinks && !res.failureReason && res.statusCode > 0 && u.depth + 1 <= options.maxDepth) {
      const url = normalizeUrl(res.finalUrl);
      if (url && url !== u.url && siteHostOf(url) === run.siteHost && onTarget.scope.inScope(url)
          && (!options.respectRobots || run.robots.isAllowed(url, options.userAgent))) {
        const target: ClaimedUrl = { url, urlHash: urlHash(url), depth: u.depth + 1 };
        onTarget.offer(target, () => recordOf(target, { ...res, url, finalUrl: url, redirectChain: [] }, options, run, signal, limits));
      }
    }
    return recordOf(u, res, options, run, signal, limits);
  }

  /** The record of a fetched URL: its response, the checks on its HTML, its internal links. */
  async function recordOf(u: ClaimedUrl, res: FetchResult, options: CrawlBatchInput['options'], run: RunContext, signal: AbortSignal, limits: HostLimits): Promise<PageRecord> {
    const redirected = res.redirectChain.length > 0;
    const isHtml = /^(text\/html|application\/xhtml\+xml)/i.test(res.contentType ?? 'text/html');
    if (!redirected && !isHtml && !res.failureReason && res.statusCode >= 200 && res.statusCode < 300) {
      return failedPageRecord(u, 'not_html', `Content-Type ${res.contentType}`, res.attempts);
    }
    // A redirecting URL is reported as the redirect (status, chain); its target's content is audited as its own page.
    const analyzeOptions = {
      thresholds: options.thresholds,
      siteHost: run.siteHost,
      subdomainsInternal: options.subdomainsInternal,
      userAgentToken: robotsUserAgentToken(options.userAgent),
    };
    const analysing = analyze(redirected ? { ...res, body: null } : { ...res }, analyzeOptions);
    // The page is on its way to an analysis thread (a copy); this step's reference to the body goes now, not when the
    // record is built: held while the page waits for its analysis (~45 pages do), ~25 KB per page outlived
    // young-generation GCs and was promoted to the old generation (10k bench: 26 → 21 major GCs on the main thread).
    if (options.render !== 'chromium') res.body = null;
    let analysis = await analysing;
    // render: "chromium": checks (and links to follow) come from the rendered DOM; what JavaScript changed is kept.
    const rendered = options.render === 'chromium'
      ? await renderAndAnalyze(res, analysis, { renderer: deps.renderer, analyze, analyzeOptions, userAgent: options.userAgent, headers: siteHostOf(u.url) === run.siteHost ? runHeaders(options, crawl.secretsKey) : {}, signal, gate: (url, go) => deps.politeness.run(hostKey(url), limits, go, signal), onUnavailable: (err) => log.warn({ err: err.message }, 'rendering unavailable') })
      : null;
    if (rendered) analysis = rendered.analysis;
    const links: LinkRecord[] = [];
    let externalLinks = 0;
    // External targets are kept (capped) only when the run checks them after the crawl.
    const external: Array<{ url: string; text: string }> | undefined = options.checkExternalLinks ? [] : undefined;
    const strip = options.stripParams?.length ? { stripParams: options.stripParams } : undefined;
    const seenLinks = new Set<string>();
    for (const l of analysis.outlinks) {
      if (!l.internal) {
        externalLinks++;
        if (external && external.length < MAX_EXTERNAL_PER_PAGE) external.push({ url: l.url, text: l.text });
        continue;
      }
      // Configured tracking params are stripped here, so two links differing only by them are one URL.
      const url = strip ? (normalizeUrl(l.url, undefined, strip) ?? l.url) : l.url;
      if (seenLinks.has(url)) continue;
      seenLinks.add(url);
      if (links.length < MAX_LINKS_PER_PAGE) links.push({ url, urlHash: urlHash(url), text: l.text, nofollow: l.nofollow });
    }
    // A redirect's target is a page of the site too: follow it like a link.
    if (res.finalUrl !== u.url && res.redirectChain.length > 0) {
      const target = normalizeUrl(res.finalUrl);
      if (target && siteHostOf(target) === run.siteHost) links.push({ url: target, urlHash: urlHash(target), text: '', nofollow: false });
    }
    return {
      url: u.url,
      urlHash: u.urlHash,
      depth: u.depth,
      status: res.failureReason ? 'failed' : 'ok',
      statusCode: redirected ? res.redirectChain[0].status : res.statusCode || null,
      finalUrl: res.finalUrl,
      contentType: res.contentType,
      ttfbMs: Math.round(res.ttfbMs),
      durationMs: Math.round(res.durationMs),
      bytes: res.bytes,
      redirectChain: res.redirectChain,
      title: analysis.title,
      description: analysis.description,
      h1: analysis.h1,
      h1Count: analysis.h1Count,
      canonical: analysis.canonical,
      indexable: redirected ? false : analysis.indexable,
      noindex: analysis.noindex,
      wordCount: analysis.wordCount,
      lang: analysis.lang,
      contentHash: analysis.contentHash,
      simhash: analysis.simhash,
      // Resources robots.txt blocks (analyzePage has no robots rules): a caller-added finding.
      issues: options.respectRobots && run.robots.found
        ? withFinding(analysis.findings, blockedResourcesFinding(analysis.resources, (r) => run.robots.isAllowed(r, options.userAgent)))
        : analysis.findings,
      data: {
        hreflang: analysis.hreflang, jsonLdTypes: analysis.jsonLdTypes, externalLinks, imageCount: analysis.imageCount, ...(external ? { external } : {}),
        // The site's image URLs, kept only when the run sizes them after the crawl (image_too_large).
        ...(options.checkImageSizes && analysis.images.length > 0 ? { images: analysis.images } : {}),
        // For the site-level duplicate_h2 and pagination_broken checks; absent keys keep rows small.
        ...(analysis.h2 !== null ? { h2: analysis.h2 } : {}),
        ...(analysis.relNext !== null ? { relNext: analysis.relNext } : {}),
        ...(analysis.relPrev !== null ? { relPrev: analysis.relPrev } : {}),
          ...(rendered ? { render: rendered.render } : {}),
      },
      failureReason: res.failureReason,
      failureDetail: res.failureDetail ?? null,
      attempts: res.attempts,
      links,
      targets: pageTargets(u.url, res, analysis, { siteHost: run.siteHost, subdomainsInternal: options.subdomainsInternal, stripParams: options.stripParams }),
    };
  }

  return {
    async crawlBatch(input: CrawlBatchInput): Promise<CrawlBatchResult> {
      const ctx = Context.current();
      const { runId, executionId, claimToken, options } = input;
      const signal = ctx.cancellationSignal;
      const dbWait: DatabaseWait = { steps: 0 };
      const { urls, held, retryInMs } = await untilDatabaseAnswers(() => claim(db, runId, claimToken, Math.max(1, options.auditBatchSize)), signal, claimToken, dbWait);
      if (urls.length === 0) return { claimed: held, deferred: 0, enqueued: 0, retryInMs, ...(await untilDatabaseAnswers(() => readCounters(db, runId), signal, claimToken, dbWait)) };
      if (ctx.info.attempt > 1) log.info({ claimToken, remaining: urls.length, attempt: ctx.info.attempt }, 'resuming crawl batch');

      const run = await untilDatabaseAnswers(() => loadRunContext(deps, runId), signal, claimToken, dbWait);
      // With a crawl delay the host gets one request at a time, spaced by the delay; otherwise up to perHostConcurrency.
      const limits = siteHostLimits(options, run.robots);
      const crawlDelayMs = limits.minSpacingMs;
      const limit = pLimit(limits.concurrency);
      // Many pages share one cancellation signal (one abort listener each).
      setMaxListeners(0, signal);
      const scope = persistScope(input.siteUrl, options);
      const target = { runId, executionId, claimToken };
      // No URL requested twice in the run (hopBook.ts): shared by every step of the run in this process.
      const hops = runHopBook(`${runId}:${executionId}`, frontierAnswer(db, runId, executionId));
      // Targets a chain read while another step held them: that step takes the record instead of fetching.
      const shelf = runRecordShelf<PageRecord>(`${runId}:${executionId}`);
      const chunkSize = Math.max(1, options.persistBatchSize);

      let persisted = 0;
      let enqueued = 0;
      const beat = () => ctx.heartbeat(crawlHeartbeat(claimToken, persisted, dbWait));
      // Pages may wait in the shared politeness gate, or a chunk may wait for the database, longer than the heartbeat
      // timeout: keep heartbeating while the activity is alive. A dead process stops these, which is the point.
      // Every 2 s at most, so that a cancellation reaches a step waiting on the gate as soon as the SDK's throttle
      // (createWorker.ts) lets it.
      const keepAlive = setInterval(beat, Math.max(500, Math.min(2_000, (ctx.info.heartbeatTimeoutMs ?? 30_000) / 3)));

      // Records stream to a single writer: chunks of persistBatchSize while pages are still being audited (larger
      // when the database lags behind), the rest at the end. Audits never wait for the database.
      const pending: PageRecord[] = [];
      // A redirect's target is audited from the response its chain already fetched: a target in this claim that has
      // not started yet takes that record instead of fetching; one outside it is adopted into the claim (once).
      const adopted = new Set<string>();
      const claimed = new Set(urls.map((u) => u.urlHash));
      const started = new Set<string>();
      const provided = new Map<string, Promise<PageRecord>>();
      const targetBuilds: Array<Promise<void>> = [];
      const onTarget = {
        scope,
        offer: (t: ClaimedUrl, build: () => Promise<PageRecord>) => {
          if (claimed.has(t.urlHash)) {
            if (started.has(t.urlHash)) return;
            started.add(t.urlHash);
            provided.set(t.urlHash, build());
          } else if (!adopted.has(t.urlHash)) {
            adopted.add(t.urlHash);
            const built = build();
            shelf.put(t.urlHash, built);
            targetBuilds.push(built.then((rec) => { if (!signal.aborted) push(rec); }, () => { adopted.delete(t.urlHash); }));
          }
        },
      };
      const push = (rec: PageRecord) => {
        if (rec.status === 'ok') pagesAuditedTotal.inc();
        else pageFailuresTotal.inc({ reason: rec.failureReason ?? 'unknown' });
        if (pending.length === 0) firstPendingAt = Date.now();
        pending.push(rec);
        // Wake the writer for a full chunk, and for the first record (it arms the FLUSH_AFTER_MS timer).
        if (pending.length >= chunkSize || pending.length === 1) notify();
      };
      const deferred: string[] = [];
      let auditing = true;
      let wake: (() => void) | null = null;
      const notify = () => {
        const w = wake;
        wake = null;
        w?.();
      };
      const writeChunk = async (chunk: PageRecord[]) => {
        const endTimer = persistBatchSeconds.startTimer();
        enqueued += await untilDatabaseAnswers(() => persistChunk(db, target, chunk, options, scope, adopted), signal, claimToken, dbWait);
        endTimer();
        persisted += chunk.length;
      };
      let firstPendingAt = 0;
      const writer = (async () => {
        for (;;) {
          const due = pending.length > 0 && (pending.length >= chunkSize || !auditing || Date.now() - firstPendingAt >= FLUSH_AFTER_MS);
          if (due) {
            await writeChunk(pending.splice(0, Math.min(pending.length, chunkSize * 4)));
            firstPendingAt = Date.now();
            continue;
          }
          if (!auditing) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
            // A slow site fills chunks slowly: what was audited is persisted within FLUSH_AFTER_MS anyway.
            if (pending.length > 0) setTimeout(resolve, Math.max(0, FLUSH_AFTER_MS - (Date.now() - firstPendingAt)));
          });
        }
      })();
      writer.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"

      try {
        // The claim's URLs, then more of the frontier's while the queue runs dry (see TOP_UP_FACTOR).
        const tasks: Array<Promise<void>> = [];
        let total = urls.length;
        let toppedUp = 0;
        // Under a crawl delay requests go one at a time anyway: topping up would only make the step (and the
        // workflow's progress) slower to move.
        let frontierDry = crawlDelayMs > 0;
        let topping: Promise<void> | null = null;
        const startedAt = Date.now();
        const topUp = () => {
          if (topping || frontierDry || signal.aborted || limit.pendingCount > 0) return;
          const room = Math.max(1, options.auditBatchSize) * TOP_UP_FACTOR - total;
          if (room <= 0 || Date.now() - startedAt > TOP_UP_FOR_MS) return;
          topping = untilDatabaseAnswers(() => claimMore(db, runId, claimToken, Math.min(room, Math.max(1, options.auditBatchSize))), signal, claimToken, dbWait)
            .then((more) => {
              total += more.length;
              toppedUp += more.length;
              for (const u of more) claimed.add(u.urlHash);
              for (const u of more) schedule(u);
              // Nothing queued now: stop asking (the other lanes and the workflow look again after this step).
              if (more.length === 0) frontierDry = true;
            }, () => {})
            .finally(() => { topping = null; });
        };
        const schedule = (u: ClaimedRow) => {
          tasks.push(limit(async () => {
            try {
              if (signal.aborted) return;
              const endTimer = auditPageSeconds.startTimer();
              const early = provided.get(u.urlHash) ?? shelf.take(u.urlHash);
              started.add(u.urlHash);
              const rec = early
                ? await early.then((r) => ({ ...r, url: u.url, urlHash: u.urlHash, depth: u.depth }), () => auditOne(u, options, run, signal, limits, onTarget, hops))
                : await auditOne(u, options, run, signal, limits, onTarget, hops);
              endTimer();
              // Cut short by cancellation (or a dying worker): not a finding about the page; the retry fetches it.
              if (signal.aborted || rec.failureReason === 'aborted') return;
              // An open circuit says nothing about this page: it goes back to the frontier and is tried again later.
              if (rec.failureReason === 'circuit_open' && u.defers < MAX_DEFERS) {
                deferred.push(u.urlHash);
                return;
              }
              push(rec);
            } finally {
              topUp();
            }
          }));
        };
        for (const u of urls) schedule(u);
        // Wait for every task, including those a top-up added while waiting.
        for (let done = 0; done < tasks.length || topping; ) {
          if (topping) await topping;
          const n = tasks.length;
          await Promise.all(tasks.slice(done, n));
          done = n;
        }
        await Promise.all(targetBuilds);
        auditing = false;
        notify();
        await writer;
        if (signal.aborted) {
          if (!workerStopping(ctx)) throw signal.reason ?? new Error('cancelled');
          // This worker is stopping and its grace time is over. What was audited is persisted (above); the rest of the
          // claim goes back to the queue and the step ends normally, so the next one (on another worker) takes it. Failing
          // spent an attempt of the step's retry policy: three worker restarts during one step (a rolling deploy, the
          // CLI's own worker stopping) recorded its unfinished URLs as audit_failed.
          const released = await release(db, runId, claimToken);
          log.info({ claimToken, released, persisted }, 'worker stopping: crawl step released its unfinished URLs');
          return { claimed: held + toppedUp, deferred: 0, enqueued, retryInMs: null, ...(await readCounters(db, runId)) };
        }
        const deferredCount = await untilDatabaseAnswers(() => defer(db, runId, claimToken, deferred, crawl.breaker?.cooldownMs ?? 30_000), signal, claimToken, dbWait);
        const counters = await untilDatabaseAnswers(() => readCounters(db, runId), signal, claimToken, dbWait);
        return { claimed: held + toppedUp, deferred: deferredCount, enqueued, retryInMs: null, ...counters };
      } finally {
        auditing = false;
        notify();
        clearInterval(keepAlive);
      }
    },

    /** The crawl activity gave up for good: its claim's unfinished URLs are recorded as failed, and the run goes on. */
    async failClaim(input: FailClaimInput): Promise<CrawlBatchResult> {
      const { runId, executionId, claimToken } = input;
      const { urls } = await claim(db, runId, claimToken, 0);
      const row = await runSiteAndOptions(db, runId);
      if (!row) throw new Error(`run ${runId} has no row`);
      const options = row.options as unknown as CrawlBatchInput['options'];
      const records = urls.map((u) => failedPageRecord(u, input.reason, input.detail, 0));
      await persistChunk(db, { runId, executionId, claimToken }, records, options, persistScope(row.site_url, options));
      return { claimed: urls.length, deferred: 0, enqueued: 0, retryInMs: null, ...(await readCounters(db, runId)) };
    },
  };
}

/** How many of one crawl activity's database steps are retrying: while any is, its heartbeats say it waits. */
interface DatabaseWait {
  steps: number;
}

/** The heartbeat details of a crawl activity: waiting for the database while a step retries, else its progress. */
function crawlHeartbeat(claimToken: string, persisted: number, wait: DatabaseWait): CrawlHeartbeat {
  return wait.steps > 0 ? { claimToken, persisted: -1, waitingForDatabase: true } : { claimToken, persisted };
}

/** The activity was cancelled because its worker is shutting down (not because its run was cancelled). */
function workerStopping(ctx: Context): boolean {
  const reason = ctx.cancellationSignal.reason as { message?: unknown } | undefined;
  return ctx.cancellationDetails?.workerShutdown === true || reason?.message === 'WORKER_SHUTDOWN';
}

/**
 * Runs a database step, retrying while the database does not answer (an outage delays the batch, it never turns its
 * pages into failures), heartbeating so Temporal knows the activity is alive, up to PERSIST_STALL_MAX_MS. `wait`
 * counts the step while it retries, so the activity's other heartbeats (its keep-alive) say it waits too: Temporal
 * sends the latest details once per throttle interval, and a progress beat sent last used to hide the wait.
 */
async function untilDatabaseAnswers<T>(step: () => Promise<T>, signal: AbortSignal, claimToken: string, wait: DatabaseWait): Promise<T> {
  const started = Date.now();
  let waiting = false;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (signal.aborted || Date.now() - started > PERSIST_STALL_MAX_MS) throw err;
        if (!waiting) {
          waiting = true;
          wait.steps++;
        }
        const ctx = Context.current();
        ctx.log.warn('database step failed; retrying', { claimToken, attempt, error: (err as Error).message });
        ctx.heartbeat(crawlHeartbeat(claimToken, -1, wait));
        await sleep(Math.min(10_000, 250 * 2 ** attempt), signal);
      }
    }
  } finally {
    if (waiting) wait.steps--;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
