// Per-host circuit breaker: stop hammering a host that keeps failing (down, overloaded, firewalled) so a crawl
// of many hosts spends its time on the ones that answer. Classic closed → open → half-open → closed cycle.

export interface BreakerOptions {
  /** Consecutive failures from one host that open its circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses requests before letting one trial through. */
  cooldownMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

interface HostState {
  failures: number;
  openedAt: number | null;
  /** In half-open, true while the single trial request is in flight. */
  trialInFlight: boolean;
}

export class CircuitBreaker {
  private readonly hosts = new Map<string, HostState>();

  /** `options` undefined → a breaker that never opens (the default for Fetcher). */
  constructor(private readonly options?: BreakerOptions, private readonly now: () => number = Date.now) {}

  state(host: string): BreakerState {
    const s = this.hosts.get(host);
    if (!s || s.openedAt === null) return 'closed';
    return this.now() - s.openedAt >= (this.options?.cooldownMs ?? 0) ? 'half_open' : 'open';
  }

  /**
   * Ask to send a request to `host`. False while open, and in half-open once the trial is taken.
   * Every true answer must be followed by exactly one of onSuccess / onFailure / onNeutral.
   */
  tryAcquire(host: string): boolean {
    if (!this.options) return true;
    const s = this.hosts.get(host);
    if (!s || s.openedAt === null) return true;
    const st = this.state(host);
    if (st === 'open' || s.trialInFlight) return false;
    s.trialInFlight = true;
    return true;
  }

  /** The host answered sensibly: close the circuit and forget past failures. */
  onSuccess(host: string): void {
    if (!this.options) return;
    this.hosts.delete(host);
  }

  /** Connection error, timeout or 5xx. Opens the circuit at the threshold, or re-opens it after a failed trial. */
  onFailure(host: string): void {
    if (!this.options) return;
    const s = this.hosts.get(host) ?? { failures: 0, openedAt: null, trialInFlight: false };
    s.failures += 1;
    if (s.trialInFlight || s.failures >= this.options.failureThreshold) s.openedAt = this.now();
    s.trialInFlight = false;
    this.hosts.set(host, s);
  }

  /** The outcome says nothing about the host's health (aborted, too large…): just release a half-open trial. */
  onNeutral(host: string): void {
    const s = this.hosts.get(host);
    if (s) s.trialInFlight = false;
  }
}
