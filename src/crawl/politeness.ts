// Per-host politeness gate, shared by every audit batch of a worker process: at most `concurrency` requests to a
// host at once, and a request starts at least `minSpacingMs` (robots.txt Crawl-delay or the run's crawlDelayMs) after
// both the start and the end of the previous one. Counting from the end makes the spacing hold as the SERVER sees it:
// request k+1 leaves after response k was fully read, which is after request k arrived, whatever the network or the
// event loop delayed (start-to-start spacing alone lets a late request k and a punctual k+1 arrive close together).
// A batch-local limiter is not enough: a run audits several batches of the same host in parallel (and several runs
// may target one host), so the limit has to live where all of them meet, i.e. here, once per process.
//
//   const release = await gate.acquire('example.com:8080', { concurrency: 2, minSpacingMs: 500 }, signal);
//   try { … one request … } finally { release(); }
//
// Waiters are served first-in first-out per host; each waiter brings its own limits (two runs of one host with
// different options each get theirs honoured against the host's shared state).
//
// Across worker processes the gate takes a SlotBroker (src/crawl/hostSlots.ts): the broker leases slots of a host from
// PostgreSQL and the gate admits at most as many requests as the process holds slots; the broker also hands over the
// time of the last request another process made to the host, so the spacing holds across processes too.
import { AsyncLocalStorage } from 'node:async_hooks';

/** The politeness gate's key for a URL: its host with the port (the same origin shares one gate everywhere). */
export function hostKey(url: string): string {
  return URL.canParse(url) ? new URL(url).host : url;
}

export interface HostLimits {
  /** Max requests in flight to the host (>= 1). */
  concurrency: number;
  /** Minimum time from the start and from the end of one request to the start of the next (0 = none). */
  minSpacingMs: number;
}

/** Cross-process admission for a gate: slots of a host held by this process, and other processes' last request. */
export interface SlotBroker {
  /** Requests to `host` this process may have in flight now under `limits` (its leased slots; 0 while it holds none). */
  capacity(host: string, limits: HostLimits): number;
  /** Gate-clock time of the latest request another process made to `host` (-Infinity: none known). */
  remoteTouch(host: string): number;
  /** The host's local demand changed: requests in flight + waiting, and the limits of the head waiter (null: none). */
  demand(host: string, want: number, active: number, limits: HostLimits | null): void;
  /** The gate calls this once so the broker can wake the host's queue when its capacity or hand-over time changes. */
  attach(wake: (host: string) => void): void;
}

interface Waiter {
  limits: HostLimits;
  grant: (release: () => void) => void;
  cancel?: () => void;
}

interface HostState {
  active: number;
  /** Latest start or end of a request to this host (-Infinity: never): the spacing counts from here. */
  lastTouch: number;
  queue: Waiter[];
  timer: NodeJS.Timeout | null;
}

/** Idle hosts are forgotten after this long (longer than any spacing we accept), so the map stays small. */
const IDLE_FORGET_MS = 120_000;
const SWEEP_EVERY = 256;

export class PolitenessGate {
  private readonly hosts = new Map<string, HostState>();
  private acquisitions = 0;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly broker: SlotBroker | null = null,
  ) {
    broker?.attach((host) => {
      const s = this.hosts.get(host);
      if (s) this.pump(host, s);
    });
  }

  /** Wait for a slot on `host`. Resolves with a release function (idempotent); rejects if `signal` aborts first. */
  acquire(host: string, limits: HostLimits, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (++this.acquisitions % SWEEP_EVERY === 0) this.sweep();
    const state = this.stateOf(host);
    const normalized: HostLimits = {
      concurrency: Math.max(1, Math.floor(limits.concurrency) || 1),
      minSpacingMs: Math.max(0, limits.minSpacingMs || 0),
    };
    return new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = { limits: normalized, grant: resolve };
      if (signal) {
        const onAbort = (): void => {
          const i = state.queue.indexOf(waiter);
          if (i >= 0) {
            state.queue.splice(i, 1);
            reject(abortReason(signal));
            this.pump(host, state); // the head may have changed
          }
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.cancel = () => signal.removeEventListener('abort', onAbort);
      }
      state.queue.push(waiter);
      this.pump(host, state);
    });
  }

  /** Run `fn` inside a slot of `host`. */
  async run<T>(host: string, limits: HostLimits, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(host, limits, signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** In flight and waiting, for tests and metrics. */
  stats(host: string): { active: number; queued: number } {
    const s = this.hosts.get(host);
    return { active: s?.active ?? 0, queued: s?.queue.length ?? 0 };
  }

  private stateOf(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) {
      s = { active: 0, lastTouch: Number.NEGATIVE_INFINITY, queue: [], timer: null };
      this.hosts.set(host, s);
    }
    return s;
  }

  private pump(host: string, s: HostState): void {
    try {
      this.admit(host, s);
    } finally {
      this.broker?.demand(host, s.active + s.queue.length, s.active, s.queue[0]?.limits ?? null);
    }
  }

  private admit(host: string, s: HostState): void {
    while (s.queue.length > 0) {
      const head = s.queue[0];
      const cap = this.broker ? Math.min(head.limits.concurrency, this.broker.capacity(host, head.limits)) : head.limits.concurrency;
      if (s.active >= cap) return; // a release (or the broker, when it gets a slot) pumps again
      const last = this.broker ? Math.max(s.lastTouch, this.broker.remoteTouch(host)) : s.lastTouch;
      const wait = last + head.limits.minSpacingMs - this.now();
      if (wait > 0) {
        if (s.timer === null) {
          s.timer = setTimeout(() => {
            s.timer = null;
            this.pump(host, s);
          }, Math.ceil(wait));
        }
        return;
      }
      s.queue.shift();
      head.cancel?.();
      s.active += 1;
      s.lastTouch = this.now();
      let released = false;
      head.grant(() => {
        if (released) return;
        released = true;
        s.active -= 1;
        s.lastTouch = Math.max(s.lastTouch, this.now());
        this.pump(host, s);
      });
    }
  }

  private sweep(): void {
    const t = this.now();
    for (const [host, s] of this.hosts) {
      if (s.active === 0 && s.queue.length === 0 && s.timer === null && t - s.lastTouch > IDLE_FORGET_MS) this.hosts.delete(host);
    }
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('aborted', 'AbortError');
}

// ---------- politeness scopes: every HTTP request inside one is gated ----------

export interface PolitenessScope {
  gate: PolitenessGate;
  limits: HostLimits;
}

const scopes = new AsyncLocalStorage<PolitenessScope>();

/** The scope the caller runs in, if any: the Fetcher gates each request it sends (every hop, every retry) on it. */
export function currentPolitenessScope(): PolitenessScope | undefined {
  return scopes.getStore();
}

/**
 * What activities use (ActivityDeps.politeness). `run(host, limits, fn, signal)` runs `fn` in a politeness scope: each
 * request the Fetcher sends inside it (the first one to `host`, every redirect hop, every retry) waits for its own
 * slot of its own host under `limits`, and gives it back when its response has been read. Gating per request rather
 * than around `fn` keeps the crawl delay between redirect hops too, and never holds one host's slot while waiting for
 * another's (a.example → b.example → a.example redirects cannot deadlock two callers).
 */
export class Politeness {
  constructor(
    readonly gate: PolitenessGate,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  /** `host` is where `fn` starts; every request `fn` makes through a Fetcher is gated on its own host. */
  async run<T>(_host: string, limits: HostLimits, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw abortReason(signal);
    return scopes.run({ gate: this.gate, limits }, fn);
  }

  /** Give back every slot this process holds (graceful shutdown); leases of a crashed process simply expire. */
  close(): Promise<void> {
    return this.onClose();
  }
}

/** Gate limits of a run: with a crawl delay (the run's, or robots.txt's when respected) one request at a time. */
export function runHostLimits(perHostConcurrency: number, crawlDelayMs: number): HostLimits {
  const delay = Math.min(MAX_CRAWL_DELAY_MS, Math.max(0, crawlDelayMs));
  return { concurrency: delay > 0 ? 1 : Math.max(1, perHostConcurrency), minSpacingMs: delay };
}

/** A robots.txt Crawl-delay beyond this is capped (a hostile robots.txt must not stall the worker for hours). */
export const MAX_CRAWL_DELAY_MS = 60_000;

/**
 * The gate limits of a run's requests to its site, the one rule discovery, the crawl and image checks share: the
 * run's crawl delay or robots.txt's Crawl-delay when respected (the larger), capped, and then one request at a time.
 */
export function siteHostLimits(
  options: { perHostConcurrency: number; crawlDelayMs?: number | null; respectRobots: boolean; userAgent: string },
  robots: { crawlDelayMs(userAgent: string): number | null | undefined },
): HostLimits {
  const robotsDelay = options.respectRobots ? robots.crawlDelayMs(options.userAgent) ?? 0 : 0;
  return runHostLimits(options.perHostConcurrency, Math.max(options.crawlDelayMs ?? 0, robotsDelay));
}
