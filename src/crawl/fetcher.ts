// src/crawl: the HTTP layer of the crawl. This Fetcher, the SSRF guard, the per-host politeness gate (politeness.ts)
// and its cross-process slots (hostSlots.ts), circuit breaker, backoff, sealed site credentials, Chromium rendering.
// The crawler's HTTP layer: one undici keep-alive pool per Fetcher, redirects followed by hand (each hop
// re-checked by the SSRF guard), hard per-attempt deadline, streamed size cap counted after decompression,
// retries with jittered backoff and Retry-After, and a per-host circuit breaker. Inside a politeness scope
// (Politeness.run) every request it sends (each redirect hop, each retry) first waits for a slot of its host.
import { isUtf8 } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { pipeline, type Readable, type Transform } from 'node:stream';
import { MIMEType } from 'node:util';
import zlib from 'node:zlib';
import { Agent } from 'undici';
import { isHtmlMediaType } from '../audit/checks/response';
import { truncate } from '../audit/text';
import type { FailureReason } from '../audit/records';
import type { FetchedPage, RedirectHop } from '../audit/types';
import { backoffDelay, parseRetryAfter } from './backoff';
import { CircuitBreaker, type BreakerOptions } from './circuitBreaker';
import { currentPolitenessScope } from './politeness';
import { BLOCKED_TARGET_CODE, checkUrlTarget, createGuardedLookup, type TargetPolicy } from './ssrfGuard';

export interface FetcherOptions {
  /** Max open connections per origin (undici Pool `connections`); also caps per-origin concurrency. */
  connectionsPerHost: number;
  /** Allow loopback targets (ALLOW_PRIVATE_TARGETS; local fixture sites). Other private ranges need the allowlist. */
  allowPrivateTargets: boolean;
  /** Hostnames, IPs or CIDRs allowed even though they resolve to private addresses. */
  targetAllowlist?: string[];
  /** Per-host circuit breaker; absent → never opens. */
  breaker?: BreakerOptions;
  /** Connect timeout for new sockets (undici default 10 s). The per-attempt deadline still applies. */
  connectTimeoutMs?: number;
}

export interface FetchOptions {
  /** Hard deadline of one attempt: connect, all redirect hops, headers and the whole body. */
  timeoutMs: number;
  /** Cap on the decoded (decompressed) body. */
  maxBytes: number;
  maxRedirects: number;
  userAgent: string;
  /** Extra attempts for retryable failures (timeout, reset, refused, EAI_AGAIN, 5xx, 429). Default 2. */
  retries?: number;
  /** Backoff base (full jitter over base·2^n). Default 500. */
  retryBaseMs?: number;
  /** Cap of one wait, also applied to Retry-After. Default 30000. */
  retryMaxMs?: number;
  /** The run's headers (its credentials): sent to the start URL's origin only, never along a redirect to another. */
  headers?: Record<string, string>;
  /** Cancellation (e.g. Temporal's activity cancellation signal): aborts at once with failureReason 'aborted'. */
  signal?: AbortSignal;
  /** 'html' (default): only (X)HTML bodies are read. 'any': every body is read and returned as rawBody too. */
  accept?: 'html' | 'any';
  /** GET (default), or HEAD when only the headers matter (image sizes): no body comes back. */
  method?: 'GET' | 'HEAD';
  /** The run's book of answered URLs: a redirect hop already answered (or being fetched) in the run is not requested again. */
  hops?: HopBook;
}

/**
 * What one request to a URL answered: a redirect (its status and absolute Location), or a final response without its
 * body and headers (a redirect's record is judged on its chain and final status; the rest is the target's record).
 */
export type HopAnswer =
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'final'; statusCode: number; contentType: string | null; bytes: number; ttfbMs: number; failureReason: FailureReason | null; failureDetail?: string };

/**
 * A caller's claim on one request. With `settle` the caller owns the URL: `answer` is what is already known elsewhere
 * (null: request it), and the caller settles with what it learnt (null: nothing to share). Without `settle` another
 * request owns it: `answer` resolves to that request's answer, or null when it has none (then the caller requests it).
 */
export interface HopTicket {
  answer: Promise<HopAnswer | null>;
  settle?: (answer: HopAnswer | null) => void;
}

/**
 * Requests of one run, so no URL is requested twice (see src/activities/hopBook.ts). `enter` is called before every
 * request: `hop` false for the URL the caller asked for (its body is wanted: only a redirect answer may stand in for
 * it), true for a redirect hop.
 */
export interface HopBook {
  enter(url: string, hop: boolean): HopTicket;
}

export type FetchResult = FetchedPage & {
  /** Attempts that reached the network (0 when refused before any request: invalid URL, guard, breaker). */
  attempts: number;
  failureReason: FailureReason | null;
  failureDetail?: string;
  /** The decoded (decompressed) body bytes; only with accept 'any'. */
  rawBody?: Buffer;
  /** The final response was another request's (FetchOptions.hops): status and headers only, no body. */
  finalKnown?: boolean;
};

type Health = 'success' | 'failure' | 'neutral';

/** What one attempt (all its redirect hops) produced: the final response as a FetchedPage describes it, and more. */
interface AttemptOutcome extends Pick<FetchedPage, 'finalUrl' | 'statusCode' | 'headers' | 'redirectChain' | 'contentType' | 'bytes' | 'ttfbMs'> {
  body: string | null;
  rawBody?: Buffer;
  failureReason: FailureReason | null;
  failureDetail?: string;
  retryable: boolean;
  retryAfterMs: number | null;
  /** False when nothing was sent (guard or breaker refused the first hop). */
  dispatched: boolean;
  finalKnown?: boolean;
}

interface Failure {
  reason: FailureReason;
  detail: string;
  retryable: boolean;
  /** An error answer about this request only (HTTP 500, 501, 505…): the host answered, so it says nothing about its health. */
  pageError?: boolean;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Failures that say something about the host's health (they feed the circuit breaker). */
const HOST_FAILURES = new Set<FailureReason>(['timeout', 'dns', 'connection_refused', 'connection_reset', 'tls', 'http_5xx', 'network']);
/**
 * 5xx answers that speak for the host (RFC 9110: a gateway that cannot reach it, or the server saying it is
 * unavailable): they feed the circuit breaker. Any other 5xx (500 Internal Server Error, 501, 505…) is that page's own
 * error: the host answered. Counting those opened the circuit at the end of a 10k-page bench run, whose last pages in
 * flight were the site's 500 pages on their retries: ten of them in a row deferred the run's last URLs for two
 * 30-second cool-downs (71 s instead of 17).
 */
const AVAILABILITY_STATUSES = new Set([502, 503, 504]);
/** Failures that say nothing either way (the host was not really asked, or it asked us to slow down). */
const NEUTRAL = new Set<FailureReason>(['aborted', 'blocked_target', 'rate_limited', 'circuit_open']);
/** How much of a discarded body (redirects, 5xx, non-HTML) we read to keep the connection reusable. */
const DUMP_LIMIT = 64 * 1024;
const SNIFF_BYTES = 1024;

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_(GET|VERIFY|DECRYPT)|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|CERT_UNTRUSTED|CERT_REJECTED)/;

export class Fetcher {
  private readonly agent: Agent;
  private readonly policy: TargetPolicy;
  private readonly breaker: CircuitBreaker;

  constructor(options: FetcherOptions) {
    this.policy = { allowPrivateTargets: options.allowPrivateTargets, allowlist: options.targetAllowlist ?? [] };
    this.breaker = new CircuitBreaker(options.breaker);
    this.agent = new Agent({
      connections: options.connectionsPerHost,
      // The guard runs at connect time on the address actually dialled (names only; literals are checked
      // before the request, since Node never calls lookup for them).
      connect: {
        timeout: options.connectTimeoutMs ?? 10_000,
        // Always on: ALLOW_PRIVATE_TARGETS allows loopback, not every private range (see TargetPolicy).
        lookup: createGuardedLookup(this.policy),
      },
    });
  }

  /** Destroy the pool: in-flight requests fail, sockets close. */
  async close(): Promise<void> {
    await this.agent.destroy();
  }

  async fetchPage(url: string, opts: FetchOptions): Promise<FetchResult> {
    const started = performance.now();
    const retries = Math.max(0, opts.retries ?? 2);
    const retryBaseMs = opts.retryBaseMs ?? 500;
    const retryMaxMs = opts.retryMaxMs ?? 30_000;

    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return finish(url, started, 0, failed(url, { reason: 'invalid_url', detail: 'unparseable URL', retryable: false }));
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return finish(url, started, 0, failed(url, { reason: 'invalid_url', detail: `unsupported scheme ${target.protocol}`, retryable: false }));
    }
    target.hash = ''; // fragments never go on the wire
    const requested = target.href;
    if (opts.signal?.aborted) return finish(requested, started, 0, failed(requested, abortedFailure()));

    let attempts = 0;
    let last: AttemptOutcome | null = null;
    for (let i = 0; i <= retries; i++) {
      const out = await this.attempt(target, opts, i === retries);
      // The circuit opened during this URL's retries: report circuit_open (with the attempts made), so the caller defers
      // the URL to a later try instead of recording a page of a host that may be back soon as failed.
      if (out.failureReason === 'circuit_open' && last) {
        last = { ...out, statusCode: 0 };
        break;
      }
      if (out.dispatched) attempts += 1;
      last = out;
      if (!out.retryable || i === retries) break;
      const wait = out.retryAfterMs !== null ? Math.min(out.retryAfterMs, retryMaxMs) : backoffDelay(i, retryBaseMs, retryMaxMs);
      if (!(await sleep(wait, opts.signal))) {
        return finish(requested, started, attempts, { ...out, ...asFields(abortedFailure()) });
      }
    }
    return finish(requested, started, attempts, last as AttemptOutcome);
  }

  /**
   * One attempt: every redirect hop under one deadline. A 502/503/504 feeds the circuit breaker only on a URL's last
   * attempt: a URL's own retries are not evidence that the host is down (1% of a site's pages answering 500 used to
   * open the circuit, through their retries, and turned thousands of reachable pages into failures); other 5xx never
   * do (AVAILABILITY_STATUSES).
   */
  private async attempt(start: URL, opts: FetchOptions, lastAttempt = true): Promise<AttemptOutcome> {
    // Own controller + timer instead of AbortSignal.any([caller, AbortSignal.timeout()]): any() leaks dependants
    // on a long-lived source signal (nodejs/node#54614, #55351), and Temporal's cancellation signal lives for a
    // whole batch. This also tells a timeout from a cancellation without inspecting error shapes.
    const ac = new AbortController();
    let timedOut = false;
    // The deadline counts time on the network only: it is paused while a hop waits for its politeness slot.
    let deadlineLeft = opts.timeoutMs;
    let armedAt = 0;
    let timer: NodeJS.Timeout | null = null;
    const arm = (): void => {
      armedAt = performance.now();
      timer = setTimeout(() => {
        timedOut = true;
        ac.abort(new DOMException(`no complete response within ${opts.timeoutMs} ms`, 'TimeoutError'));
      }, Math.max(0, deadlineLeft));
    };
    const disarm = (): void => {
      if (timer === null) return;
      clearTimeout(timer);
      timer = null;
      deadlineLeft -= performance.now() - armedAt;
    };
    arm();
    const politeness = currentPolitenessScope();
    const caller = opts.signal;
    const onCallerAbort = (): void => ac.abort(caller?.reason);
    caller?.addEventListener('abort', onCallerAbort, { once: true });

    const chain: RedirectHop[] = [];
    const visited = new Set<string>([start.href]);
    let current = start;
    let dispatched = false;
    // Which host the current breaker permit belongs to, so every exit path settles it exactly once.
    let permitHost: string | null = null;
    let trial = false;
    const settle = (health: Health): void => {
      if (permitHost === null) return;
      if (health === 'success') this.breaker.onSuccess(permitHost);
      else if (health === 'failure') this.breaker.onFailure(permitHost);
      else this.breaker.onNeutral(permitHost);
      permitHost = null;
    };
    const fail = (f: Failure, extra: Partial<AttemptOutcome> = {}): AttemptOutcome => {
      // A half-open circuit's trial decides on its own answer, whichever attempt of its URL it is.
      const hostFailure = HOST_FAILURES.has(f.reason) && !f.pageError && (f.reason !== 'http_5xx' || lastAttempt || trial);
      settle(hostFailure ? 'failure' : NEUTRAL.has(f.reason) || f.reason === 'http_5xx' ? 'neutral' : 'success');
      return { ...failed(current.href, f), redirectChain: chain, dispatched, ...extra };
    };
    const failFromError = (err: unknown, extra: Partial<AttemptOutcome> = {}): AttemptOutcome =>
      fail(ac.signal.aborted ? (timedOut ? timeoutFailure(opts.timeoutMs) : abortedFailure()) : classifyError(err), extra);

    try {
      for (;;) {
        const blocked = checkUrlTarget(current, this.policy);
        if (blocked) return fail({ reason: 'blocked_target', detail: blocked.message, retryable: false });
        // The run's book (opts.hops): a redirect hop another request of the run has answered, or is answering, is not
        // requested again; its answer stands in for the request. What this hop learns is shared in turn.
        const ticket = opts.hops?.enter(current.href, current !== start);
        let share = ticket?.settle ?? null;
        const shareFinal = (out: AttemptOutcome): AttemptOutcome => {
          share?.({
            kind: 'final', statusCode: out.statusCode, contentType: out.contentType, bytes: out.bytes, ttfbMs: out.ttfbMs,
            failureReason: out.failureReason, ...(out.failureDetail !== undefined ? { failureDetail: out.failureDetail } : {}),
          });
          share = null;
          return out;
        };
        if (ticket) {
          disarm(); // waiting for another request's answer is not time on the network
          const known = await settledOrAborted(ticket.answer, ac.signal);
          if (known === undefined) {
            share?.(null); // nothing to share: a waiter requests the URL itself
            return fail(abortedFailure());
          }
          arm();
          if (known !== null) {
            share?.(known);
            share = null;
            if (known.kind === 'final') {
              const { kind: _kind, ...response } = known;
              return { ...failed(current.href, null), ...response, finalUrl: current.href, redirectChain: chain, dispatched, finalKnown: true };
            }
            chain.push({ url: current.href, status: known.status });
            // A chain that ends here (loop, hop cap) reports this hop's redirect status, as when it requested it.
            const stop = this.toNext(known.location, visited, chain, opts, (f) => fail(f, { statusCode: known.status }));
            if (typeof stop !== 'string') return stop;
            current = new URL(stop);
            continue;
          }
        }
        let releaseSlot: (() => void) | null = null;
        if (politeness) {
          disarm();
          try {
            releaseSlot = await politeness.gate.acquire(current.host, politeness.limits, caller);
          } catch {
            share?.(null);
            return fail(abortedFailure()); // acquire only rejects when the caller aborts
          }
          if (ac.signal.aborted) {
            releaseSlot();
            share?.(null);
            return fail(abortedFailure());
          }
          arm();
        }
        try {
          trial = this.breaker.state(current.host) === 'half_open';
          if (!this.breaker.tryAcquire(current.host)) {
            return fail({ reason: 'circuit_open', detail: `circuit open for ${current.host}`, retryable: false });
          }
          permitHost = current.host;

          const hopStart = performance.now();
          dispatched = true;
          let res: Awaited<ReturnType<Agent['request']>>;
          try {
            res = await this.agent.request({
              origin: current.origin,
              path: `${current.pathname}${current.search}`,
              method: opts.method ?? 'GET',
              headers: requestHeaders(opts, start, current),
              signal: ac.signal,
              // undici's own timers as a second line; the attempt deadline above is the hard cap.
              headersTimeout: opts.timeoutMs,
              bodyTimeout: opts.timeoutMs,
            });
          } catch (err) {
            return failFromError(err);
          }
          const ttfbMs = performance.now() - hopStart;
          const status = res.statusCode;
          const headers = flattenHeaders(res.headers);
          const response: Partial<AttemptOutcome> = {
            finalUrl: current.href,
            statusCode: status,
            headers,
            ttfbMs,
            contentType: headers['content-type'] ?? null,
          };

          const location = headers.location;
          if (REDIRECT_STATUSES.has(status) && location) {
            await dump(res.body);
            settle('success');
            chain.push({ url: current.href, status });
            let next: URL;
            try {
              next = new URL(location, current);
            } catch {
              return fail({ reason: 'invalid_url', detail: `bad redirect location ${truncate(location, 100)}`, retryable: false }, response);
            }
            next.hash = '';
            if (next.protocol === 'http:' || next.protocol === 'https:') {
              share?.({ kind: 'redirect', status, location: next.href });
              share = null;
            }
            const stop = this.toNext(next.href, visited, chain, opts, (f) => fail(f, response));
            if (typeof stop !== 'string') return stop;
            current = new URL(stop);
            continue;
          }

          if (status >= 500 || status === 429) {
            await dump(res.body);
            const retryAfterMs = parseRetryAfter(headers['retry-after']);
            const f: Failure = status === 429
              ? { reason: 'rate_limited', detail: `HTTP 429${retryAfterMs !== null ? `, Retry-After ${headers['retry-after']}` : ''}`, retryable: true }
              : { reason: 'http_5xx', detail: `HTTP ${status}`, retryable: true, pageError: !AVAILABILITY_STATUSES.has(status) };
            // Only a URL's last answer is shared: an earlier one is retried.
            const out = fail(f, { ...response, retryAfterMs });
            return lastAttempt ? shareFinal(out) : out;
          }

          // The final response: an audited page whatever its status (2xx, 3xx without Location, 4xx).
          const mediaType = parseMediaType(headers['content-type']);
          const accept = opts.accept ?? 'html';
          const isHtml = mediaType.essence === null || isHtmlMediaType(mediaType.essence);
          if (accept === 'html' && !isHtml) {
            // Not ours to parse: the caller sees status and content type and decides (images, PDFs…).
            await dump(res.body);
            settle('success');
            return shareFinal({ ...failed(current.href, null), ...response, redirectChain: chain, dispatched } as AttemptOutcome);
          }

          const declared = Number(headers['content-length']);
          const encodings = parseEncodings(headers['content-encoding']);
          // Content-Length counts encoded bytes; with compression the decoded body is at least as big.
          if (Number.isFinite(declared) && declared > opts.maxBytes) {
            res.body.destroy();
            return shareFinal(fail({ reason: 'too_large', detail: `Content-Length ${declared} > ${opts.maxBytes}`, retryable: false }, response));
          }

          let read: ReadResult;
          try {
            read = await readCapped(res.body, encodings, opts.maxBytes, { sniffBinary: accept === 'html', charset: mediaType.charset });
          } catch (err) {
            return failFromError(err, response);
          }
          if (read.kind === 'too_large') {
            return shareFinal(fail({ reason: 'too_large', detail: `body over ${opts.maxBytes} bytes (decoded)`, retryable: false }, { ...response, bytes: read.bytes }));
          }
          if (read.kind === 'binary') {
            return shareFinal(fail({ reason: 'not_html', detail: 'labelled HTML but the body is binary', retryable: false }, { ...response, bytes: read.bytes }));
          }

          const buf = read.buffer;
          settle('success');
          const text = accept === 'html' || isTextual(mediaType.essence) ? decodeText(buf, mediaType.charset) : null;
          return shareFinal({
            ...failed(current.href, null),
            ...response,
            redirectChain: chain,
            dispatched,
            bytes: buf.length,
            body: text,
            ...(accept === 'any' ? { rawBody: buf } : {}),
          } as AttemptOutcome);
        } finally {
          // The slot is given back once this hop's response has been read (or dropped): the next hop queues again.
          releaseSlot?.();
          share?.(null); // nothing shared (a network failure, a cancellation): a waiter requests the URL itself
        }
      }
    } finally {
      if (timer !== null) clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
      settle('neutral'); // only if an unexpected throw left a permit open
    }
  }

  /** Checks the next hop of a redirect (scheme, loop, hop cap): its href, or the failure that ends the chain. */
  private toNext(href: string, visited: Set<string>, chain: RedirectHop[], opts: FetchOptions, fail: (f: Failure) => AttemptOutcome): string | AttemptOutcome {
    const next = new URL(href);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      return fail({ reason: 'invalid_url', detail: `redirect to unsupported scheme ${next.protocol}`, retryable: false });
    }
    if (visited.has(next.href)) {
      return fail({ reason: 'redirect_loop', detail: `redirect loop back to ${truncate(next.href, 100)}`, retryable: false });
    }
    if (chain.length > opts.maxRedirects) {
      return fail({ reason: 'too_many_redirects', detail: `more than ${opts.maxRedirects} redirects`, retryable: false });
    }
    visited.add(next.href);
    return next.href;
  }
}

// ---------- result helpers ----------

/** The answer (null when it failed: the URL is requested), or undefined as soon as `signal` aborts. */
function settledOrAborted<T>(p: Promise<T | null>, signal: AbortSignal): Promise<T | null | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => resolve(v), () => resolve(null)).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function failed(url: string, f: Failure | null): AttemptOutcome {
  return {
    finalUrl: url,
    statusCode: 0,
    headers: {},
    redirectChain: [],
    contentType: null,
    bytes: 0,
    ttfbMs: 0,
    body: null,
    ...(f ? asFields(f) : { failureReason: null, retryable: false }),
    retryAfterMs: null,
    dispatched: false,
  };
}

function asFields(f: Failure): Pick<AttemptOutcome, 'failureReason' | 'failureDetail' | 'retryable'> {
  return { failureReason: f.reason, failureDetail: f.detail, retryable: f.retryable };
}

function finish(url: string, started: number, attempts: number, out: AttemptOutcome): FetchResult {
  const result: FetchResult = {
    url,
    finalUrl: out.finalUrl,
    statusCode: out.statusCode,
    headers: out.headers,
    redirectChain: out.redirectChain,
    contentType: out.contentType,
    bytes: out.bytes,
    ttfbMs: Math.round(out.ttfbMs),
    durationMs: Math.round(performance.now() - started),
    body: out.body,
    attempts,
    failureReason: out.failureReason,
  };
  if (out.failureDetail !== undefined) result.failureDetail = out.failureDetail;
  if (out.rawBody !== undefined) result.rawBody = out.rawBody;
  if (out.finalKnown) result.finalKnown = true;
  return result;
}

const abortedFailure = (): Failure => ({ reason: 'aborted', detail: 'cancelled by caller', retryable: false });
const timeoutFailure = (ms: number): Failure => ({ reason: 'timeout', detail: `no complete response within ${ms} ms`, retryable: true });

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---------- request / response helpers ----------

function requestHeaders(opts: FetchOptions, start: URL, current: URL): Record<string, string> {
  const headers: Record<string, string> = {
    'user-agent': opts.userAgent,
    accept: (opts.accept ?? 'html') === 'html' ? 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5' : '*/*',
    'accept-encoding': 'gzip, deflate, br',
  };
  // The caller's headers are the run's credentials (auth, cookies, and custom headers such as an API key or a preview
  // token): they are for the start origin, and none of them follows a redirect to another one.
  if (start.origin !== current.origin) return headers;
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  return headers;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Drain a little of a body we don't need so the keep-alive socket can be reused; bigger ones are dropped. */
async function dump(body: Readable & { dump?: (o: { limit: number }) => Promise<void> }): Promise<void> {
  try {
    if (body.dump) await body.dump({ limit: DUMP_LIMIT });
    else body.destroy();
  } catch {
    // A failed drain only costs the connection.
  }
}

function parseMediaType(header: string | undefined): { essence: string | null; charset: string | undefined } {
  if (!header) return { essence: null, charset: undefined };
  try {
    const m = new MIMEType(header);
    return { essence: m.essence, charset: m.params.get('charset') ?? undefined };
  } catch {
    return { essence: null, charset: undefined };
  }
}

function isTextual(essence: string | null): boolean {
  if (essence === null) return true;
  return essence.startsWith('text/') || /[/+](xml|json)$/.test(essence) || essence === 'application/javascript';
}

function parseEncodings(header: string | undefined): string[] {
  if (!header) return [];
  return header.split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '' && e !== 'identity');
}

function decoderFor(encoding: string): Transform {
  // Z_SYNC_FLUSH tolerates a truncated final block the way browsers do instead of failing the page.
  const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip(flush);
    case 'deflate':
      // Servers send both zlib-wrapped and raw deflate under this name; Unzip auto-detects the zlib/gzip header.
      return zlib.createUnzip(flush);
    case 'br':
      return zlib.createBrotliDecompress({
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      });
    default:
      throw Object.assign(new Error(`unsupported content-encoding ${encoding}`), { code: 'SITESWEEP_BAD_ENCODING' });
  }
}

type ReadResult =
  | { kind: 'ok'; buffer: Buffer }
  | { kind: 'too_large'; bytes: number }
  | { kind: 'binary'; bytes: number };

/**
 * Stream the body through the decoders, counting DECODED bytes, and stop the moment the cap is passed: a gzip
 * bomb costs at most maxBytes plus one zlib chunk of memory. With `sniffBinary` (HTML expected), the first KB
 * is checked for binary content and the read stops early when it is.
 */
async function readCapped(
  body: Readable,
  encodings: string[],
  maxBytes: number,
  sniff: { sniffBinary: boolean; charset: string | undefined },
): Promise<ReadResult> {
  let stream: Readable = body;
  if (encodings.length > 0) {
    // Encodings are listed in the order they were applied, so undo them last-first.
    const decoders = encodings.slice().reverse().map(decoderFor);
    stream = pipeline([body, ...decoders], () => {
      // Errors surface as the last stage's 'error' below; pipeline destroys every stage on failure or early exit.
    }) as unknown as Readable;
  }
  // Events rather than `for await`: an async iterator costs a promise and its bookkeeping per chunk, on the crawl's
  // busiest thread. A stream that closes before its end is an error, as the iterator would throw.
  return new Promise<ReadResult>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let sniffed = !sniff.sniffBinary;
    let settled = false;
    const done = (outcome: { result: ReadResult } | { error: unknown }, drop: boolean): void => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (drop) {
        // A body destroyed before its end errors (undici: "Request aborted"): nobody reads it any more.
        stream.on('error', ignore);
        body.on('error', ignore);
        stream.destroy();
        body.destroy();
      }
      if ('result' in outcome) resolve(outcome.result);
      else reject(outcome.error);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) return done({ result: { kind: 'too_large', bytes: total } }, true);
      chunks.push(chunk);
      if (!sniffed && total >= SNIFF_BYTES) {
        sniffed = true;
        const sample = chunks[0].length >= SNIFF_BYTES ? chunks[0] : Buffer.concat(chunks);
        if (looksBinary(sample.subarray(0, SNIFF_BYTES), sniff.charset)) done({ result: { kind: 'binary', bytes: total } }, true);
      }
    };
    const onEnd = (): void => {
      const buffer = Buffer.concat(chunks);
      done({ result: !sniffed && looksBinary(buffer, sniff.charset) ? { kind: 'binary', bytes: total } : { kind: 'ok', buffer } }, false);
    };
    const onError = (err: unknown): void => done({ error: err }, true);
    const onClose = (): void => done({ error: prematureClose() }, true);
    if (stream.destroyed) return onError(stream.errored ?? prematureClose());
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}

function ignore(): void {}

/** What an async iterator throws for a stream that closed before its end. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** NUL bytes, or more than 10% control / undecodable characters in the sample → not text. */
export function looksBinary(sample: Buffer, charset: string | undefined): boolean {
  if (sample.length === 0) return false;
  const label = resolveCharset(sample, charset);
  if (!label.startsWith('utf-16') && sample.includes(0)) return true;
  // Valid UTF-8 (most pages): no replacement characters, so only the control bytes count, read without decoding.
  if (label === 'utf-8' && isUtf8(sample)) {
    // Counted as the decoded text's code units, as below: a character's continuation bytes (0x80-0xbf) add none, and
    // a four-byte one is a surrogate pair.
    let controls = 0;
    let units = 0;
    for (let i = 0; i < sample.length; i++) {
      const b = sample[i];
      if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
      if (b === 0x7f || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d)) controls += 1;
    }
    return controls / Math.max(1, units) > 0.1;
  }
  // stream: a multibyte character cut at the sample's end is not an error. A fresh decoder: a streaming one keeps state.
  const text = new TextDecoder(label).decode(sample, { stream: true });
  let bad = 0;
  // Code units, not code points: the characters counted are all single units, and no string is made per character
  // (a `for…of` over the sample made ~1,000 one-character strings per page).
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd || c === 0x7f || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d)) bad += 1;
  }
  return bad / Math.max(1, text.length) > 0.1;
}

/** Canonical encoding names of the charset labels seen (null: unknown label); labels come from headers and pages. */
const encodingOfLabel = new Map<string, string | null>();
const MAX_LABELS = 256;

function encodingOf(label: string): string | null {
  let encoding = encodingOfLabel.get(label);
  if (encoding !== undefined) return encoding;
  try {
    encoding = new TextDecoder(label.trim()).encoding; // validates the label and canonicalizes it
  } catch {
    encoding = null;
  }
  if (encodingOfLabel.size >= MAX_LABELS) encodingOfLabel.clear();
  encodingOfLabel.set(label, encoding);
  return encoding;
}

const META_CHARSET = /<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)/i;

/** Charset per the HTML encoding sniffing order, simplified: BOM, Content-Type, <meta> in the first KB, UTF-8. */
function resolveCharset(buf: Buffer, declared: string | undefined): string {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return 'utf-8';
  if (buf[0] === 0xfe && buf[1] === 0xff) return 'utf-16be';
  if (buf[0] === 0xff && buf[1] === 0xfe) return 'utf-16le';
  const fromHeader = declared ? encodingOf(declared) : null;
  if (fromHeader) return fromHeader;
  // Only without a valid declared charset: the <meta> sniff reads the first KB as text.
  const meta = META_CHARSET.exec(buf.subarray(0, SNIFF_BYTES).toString('latin1'))?.[1];
  return (meta ? encodingOf(meta) : null) ?? 'utf-8';
}

/** One decoder per encoding: a non-streaming decode() starts from a clean state, so they are reused. */
const textDecoders = new Map<string, InstanceType<typeof TextDecoder>>();

function decodeText(buf: Buffer, declared: string | undefined): string {
  const encoding = resolveCharset(buf, declared);
  let decoder = textDecoders.get(encoding);
  if (!decoder) {
    decoder = new TextDecoder(encoding);
    textDecoders.set(encoding, decoder);
  }
  return decoder.decode(buf);
}

/** Map a thrown network error to a FailureReason. Looks through `cause` and AggregateError (happy eyeballs). */
export function classifyError(err: unknown): Failure {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const detail = truncate(code ? `${code}: ${message}` : message, 200);
  switch (code) {
    case BLOCKED_TARGET_CODE:
      return { reason: 'blocked_target', detail: truncate(message, 200), retryable: false };
    case 'ENOTFOUND':
      return { reason: 'dns', detail, retryable: false };
    case 'EAI_AGAIN':
      return { reason: 'dns', detail, retryable: true };
    case 'ECONNREFUSED':
      return { reason: 'connection_refused', detail, retryable: true };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { reason: 'connection_reset', detail, retryable: true };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
    case 'ABORT_ERR':
      return { reason: 'timeout', detail, retryable: true };
    case 'ERR_INVALID_URL':
      return { reason: 'invalid_url', detail, retryable: false };
    default:
      break;
  }
  if (err instanceof Error && err.name === 'TimeoutError') return { reason: 'timeout', detail, retryable: true };
  if (code && (TLS_CODE.test(code) || (code === 'EPROTO' && /ssl|tls/i.test(message)))) {
    return { reason: 'tls', detail, retryable: false };
  }
  return { reason: 'network', detail, retryable: false };
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e instanceof AggregateError && e.errors.length > 0 ? e.errors[0] : (e as { cause?: unknown }).cause;
  }
  return undefined;
}
