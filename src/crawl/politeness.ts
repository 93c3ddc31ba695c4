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

export interface HostLimits {
  /** Max requests in flight to the host (>= 1). */
  concurrency: number;
  /** Minimum time from the start and from the end of one request to the start of the next (0 = none). */
  minSpacingMs: number;
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

  constructor(private readonly now: () => number = () => performance.now()) {}

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
    while (s.queue.length > 0) {
      const head = s.queue[0];
      if (s.active >= head.limits.concurrency) return; // a release pumps again
      const wait = s.lastTouch + head.limits.minSpacingMs - this.now();
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

/** The process-wide gate: every audit activity of this worker process goes through it. */
export const politenessGate = new PolitenessGate();
