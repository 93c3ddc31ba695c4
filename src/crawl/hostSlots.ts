// Per-host politeness across worker processes, without a database round trip per request.
//
// A host has `n` numbered slots in PostgreSQL (table host_slots, src/db/hostSlotStore.ts). A process leases some of
// them for LEASE_MS and its PolitenessGate admits as many requests at once as it holds slots, so the processes
// together never exceed `n`. A process with waiters re-syncs every SYNC_MS (faster while it wants more than it holds,
// or holds more than it still uses while another process wants the host):
// it publishes its demand, renews its leases, gives back what is above its fair share of the host and takes free or
// expired slots up to it. With a crawl delay `n` is 1: one process holds the slot at a time, it stamps the slot with
// the database time when it gives it back, and the next holder counts the spacing from there (from the lease's end
// when it takes over a crashed holder's slot). Times that cross processes are always the database's clock, so the
// workers' clocks may differ. The fair share rotates among the processes that want more than an equal part (every
// ROTATE_MS), so with one slot and three workers each gets the host in turn.
//
// A holder that cannot renew (database down, process stalled) stops starting requests when its lease runs out by its
// own monotonic clock, which is never later than the lease's end in the database.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { HostLimits, SlotBroker } from './politeness';

export interface SlotDemand {
  holder: string;
  want: number;
}

export interface TakenSlot {
  slotNo: number;
  /** Milliseconds (database clock) since the last request another holder made on this slot; null: none known. */
  agoMs: number | null;
}

/** The database side (src/db/hostSlotStore.ts); each call is one atomic statement or two. */
export interface SlotStore {
  /** Publish (want > 0) or withdraw (want 0) this holder's demand; returns every live demand and the database time. */
  demand(host: string, holder: string, want: number, leaseMs: number): Promise<{ demands: SlotDemand[]; nowMs: number }>;
  /** Give slots back, stamping them with the database time as their last request. */
  release(host: string, holder: string, slots: number[]): Promise<void>;
  /** Extend every lease this holder has on the host; returns the slots it still holds. */
  renew(host: string, holder: string, leaseMs: number): Promise<number[]>;
  /** Lease up to `count` free or expired slots numbered below `n`. */
  take(host: string, holder: string, n: number, count: number, leaseMs: number): Promise<TakenSlot[]>;
  /** Forget everything this holder has (shutdown). */
  releaseAll(holder: string): Promise<void>;
}

export interface HostSlotsOptions {
  leaseMs?: number;
  syncMs?: number;
  /** Re-sync interval while this process wants more slots than it holds (hand-over latency). */
  hungrySyncMs?: number;
  rotateMs?: number;
  holder?: string;
  now?: () => number;
  onError?: (err: unknown, host: string) => void;
}

/**
 * Fair share of `n` slots for `me` among the live demands: round-robin one slot at a time, capped by each holder's
 * want, starting at a holder that rotates with `epoch` (so the remainder of n / holders moves between them).
 */
export function fairShare(me: string, demands: SlotDemand[], n: number, epoch: number): number {
  const live = demands.filter((d) => d.want > 0).sort((a, b) => (a.holder < b.holder ? -1 : a.holder > b.holder ? 1 : 0));
  if (live.length === 0 || n <= 0) return 0;
  const share = new Map<string, number>(live.map((d) => [d.holder, 0]));
  const start = ((epoch % live.length) + live.length) % live.length;
  let left = n;
  let progressed = true;
  while (left > 0 && progressed) {
    progressed = false;
    for (let k = 0; k < live.length && left > 0; k++) {
      const d = live[(start + k) % live.length];
      const got = share.get(d.holder)!;
      if (got < d.want) {
        share.set(d.holder, got + 1);
        left--;
        progressed = true;
      }
    }
  }
  return share.get(me) ?? 0;
}

interface HostState {
  held: Set<number>;
  /** Slots of this host the gate may use at once (fair share, capped by what is held). */
  target: number;
  want: number;
  active: number;
  n: number;
  /** Gate-clock time until which the held leases are valid. */
  validUntil: number;
  remoteTouch: number;
  timer: NodeJS.Timeout | null;
  /** Gate-clock time the pending timer fires. */
  timerDue: number;
  syncing: boolean;
  /** At the last sync another process wanted slots of this host too. */
  contended: boolean;
  /** An urgent demand change arrived during a sync: sync again right after. */
  dirty: boolean;
  /** Gate-clock time before which a failed sync is not retried early. */
  backoffUntil: number;
  /** Gate-clock time since which this process has wanted nothing of the host (null: it wants some now). */
  idleSince: number | null;
}

/** Effective slot count of a host under `limits`: a crawl delay means one request at a time across all processes. */
export function slotCount(limits: HostLimits): number {
  return limits.minSpacingMs > 0 ? 1 : Math.max(1, Math.floor(limits.concurrency) || 1);
}

export class HostSlots implements SlotBroker {
  readonly holder: string;
  private readonly hosts = new Map<string, HostState>();
  private wake: (host: string) => void = () => {};
  private readonly leaseMs: number;
  private readonly syncMs: number;
  private readonly hungrySyncMs: number;
  private readonly rotateMs: number;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly store: SlotStore, private readonly opts: HostSlotsOptions = {}) {
    this.holder = opts.holder ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.leaseMs = opts.leaseMs ?? 12_000;
    this.syncMs = opts.syncMs ?? 500;
    this.hungrySyncMs = opts.hungrySyncMs ?? 100;
    this.rotateMs = opts.rotateMs ?? 3_000;
    this.now = opts.now ?? (() => performance.now());
  }

  attach(wake: (host: string) => void): void {
    this.wake = wake;
  }

  capacity(host: string, limits: HostLimits): number {
    const s = this.hosts.get(host);
    if (!s || this.now() >= s.validUntil) return 0;
    const n = slotCount(limits);
    let usable = 0;
    for (const slot of s.held) if (slot < n) usable++;
    return Math.min(usable, s.target);
  }

  remoteTouch(host: string): number {
    return this.hosts.get(host)?.remoteTouch ?? Number.NEGATIVE_INFINITY;
  }

  demand(host: string, want: number, active: number, limits: HostLimits | null): void {
    if (this.closed) return;
    let s = this.hosts.get(host);
    if (!s) {
      if (want === 0) return;
      s = { held: new Set(), target: 0, want: 0, active: 0, n: 1, validUntil: Number.NEGATIVE_INFINITY, remoteTouch: Number.NEGATIVE_INFINITY, timer: null, timerDue: 0, syncing: false, contended: false, dirty: false, backoffUntil: 0, idleSince: null };
      this.hosts.set(host, s);
    }
    const n = limits ? slotCount(limits) : s.n;
    const newWant = Math.min(want, n);
    const changed = newWant !== s.want || n !== s.n;
    const hungry = newWant > this.capacityCount(s, n);
    s.n = n;
    s.want = newWant;
    s.active = active;
    if (newWant > 0) s.idleSince = null;
    else s.idleSince ??= this.now();
    // Holding slots beyond the share that no request uses any more: hand them over now (crawl-delay rotation).
    const shedding = s.held.size > Math.max(s.target, active);
    // Another process wants the host too: slots this one has no use for any more (its lanes between two steps, the
    // tail of a step) go back within a hungry sync, not at the next regular one; the others sync that often while
    // they want more than they hold, so they take them over at once.
    // Want more than we may use: ask now. Otherwise the regular sync will renew, shed or release when idle.
    if (((changed && hungry) || shedding) && this.now() >= s.backoffUntil) this.schedule(host, s, 0);
    else if (this.holdsSurplus(s)) this.schedule(host, s, this.hungrySyncMs); // schedule() keeps a failed sync's backoff
    else if (changed || s.timer === null) this.schedule(host, s, this.syncMs);
  }

  /** Stop syncing and give every slot back. */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.hosts.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      s.held.clear();
      s.target = 0;
    }
    await this.store.releaseAll(this.holder);
  }

  /** For tests and metrics. */
  stats(host: string): { held: number[]; target: number; want: number } {
    const s = this.hosts.get(host);
    return { held: s ? [...s.held].sort((a, b) => a - b) : [], target: s?.target ?? 0, want: s?.want ?? 0 };
  }

  /** Another process wants the host (as of the last sync) while this one holds slots beyond what it wants or uses. */
  private holdsSurplus(s: HostState): boolean {
    return s.contended && s.held.size > Math.max(s.want, s.active);
  }

  private capacityCount(s: HostState, n: number): number {
    if (this.now() >= s.validUntil) return 0;
    let usable = 0;
    for (const slot of s.held) if (slot < n) usable++;
    return Math.min(usable, s.target);
  }

  private schedule(host: string, s: HostState, delayMs: number): void {
    if (this.closed) return;
    if (s.syncing) {
      // Only an urgent change (hungry, or shedding for another process) syncs again right after; the sync in
      // progress schedules the regular one anyway (a dirty flag on every demand change kept syncs back to back).
      if (delayMs === 0) s.dirty = true;
      return;
    }
    // Never earlier than a failed sync's backoff; a pending timer gives way only to an earlier one.
    const now = this.now();
    const due = Math.max(now + delayMs, s.backoffUntil);
    if (s.timer !== null) {
      if (due >= s.timerDue) return;
      clearTimeout(s.timer);
    }
    s.timerDue = due;
    s.timer = setTimeout(() => {
      s.timer = null;
      void this.sync(host, s);
    }, due - now);
    s.timer.unref();
  }

  private async sync(host: string, s: HostState): Promise<void> {
    if (this.closed) return;
    s.syncing = true;
    s.dirty = false;
    let next: number | null = this.syncMs;
    try {
      const { demands, nowMs } = await this.store.demand(host, this.holder, s.want, this.leaseMs);
      const n = s.n;
      const fair = s.want > 0 ? fairShare(this.holder, demands, n, Math.floor(nowMs / this.rotateMs)) : 0;
      // Nobody else wants the host: keep what we hold while we are busy (a lane between two steps wants fewer for a
      // moment; giving slots back then only to take them again a sync later cost the crawl its throughput and the
      // database thousands of statements). Slots go back when another process asks, or after a whole idle sync.
      const contended = demands.some((d) => d.holder !== this.holder && d.want > 0);
      s.contended = contended;
      const busy = s.idleSince === null || this.now() - s.idleSince < this.syncMs;
      const share = contended || !busy ? fair : Math.max(fair, Math.min(n, s.held.size));
      // Never give back a slot a request in flight may be using: keep at least as many as are active.
      const keep = Math.max(share, s.active);
      const excess = [...s.held].sort((a, b) => (a >= n) === (b >= n) ? b - a : a >= n ? -1 : 1).slice(0, Math.max(0, s.held.size - keep));
      // Shed first so the gate stops admitting beyond the new share before the slots are gone.
      s.target = share;
      if (excess.length > 0) {
        await this.store.release(host, this.holder, excess);
        for (const slot of excess) s.held.delete(slot);
      }
      if (s.held.size > 0) {
        const sentAt = this.now();
        const still = await this.store.renew(host, this.holder, this.leaseMs);
        s.held = new Set(still);
        s.validUntil = sentAt + this.leaseMs;
      }
      let usable = 0;
      for (const slot of s.held) if (slot < n) usable++;
      if (share > usable) {
        const sentAt = this.now();
        const taken = await this.store.take(host, this.holder, n, share - usable, this.leaseMs);
        const got = this.now();
        if (taken.length > 0) {
          // Leases just taken were granted after `sentAt`; older held ones were renewed at or after it too.
          s.validUntil = s.held.size > 0 ? Math.min(s.validUntil, sentAt + this.leaseMs) : sentAt + this.leaseMs;
          for (const t of taken) {
            s.held.add(t.slotNo);
            // `got - ago` is no earlier than the real time of the other holder's last request: a safe spacing base.
            if (t.agoMs !== null) s.remoteTouch = Math.max(s.remoteTouch, got - t.agoMs);
          }
        }
      }
      usable = 0;
      for (const slot of s.held) if (slot < n) usable++;
      if (s.want === 0 && s.held.size === 0 && s.active === 0 && !busy) {
        next = null; // idle: nothing held, demand withdrawn
        if (this.hosts.get(host) === s) this.hosts.delete(host);
      } else if (Math.min(usable, share) < s.want || this.holdsSurplus(s)) {
        // Wanting more than it holds, or holding more than it needs while others want the host (the demand fell
        // during this sync).
        next = this.hungrySyncMs;
      }
    } catch (err) {
      this.opts.onError?.(err, host);
      next = Math.max(this.syncMs, 1_000);
      s.backoffUntil = this.now() + next;
    } finally {
      s.syncing = false;
    }
    this.wake(host);
    if (s.dirty) next = 0;
    if (next !== null) {
      if (!this.hosts.has(host)) this.hosts.set(host, s);
      this.schedule(host, s, next);
    }
  }
}
