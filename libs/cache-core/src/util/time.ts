/** Source of the current time in milliseconds; injected so TTLs, breakers and EWMAs are testable. */
export interface Clock {
  now(): number;
}

/** Opaque handle of a scheduled timer. */
export type TimerHandle = unknown;

/** Timer service; injected so timeouts and retry back-off run on simulated time in tests and benchmarks. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Wall clock and Node timers. */
export const systemTime: Clock & Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * Simulated clock and timers: time moves only when {@link advanceTo} / {@link advance} is called,
 * and due timers run in time order (ties in scheduling order). Used by tests and the replay benchmark.
 */
export class ManualClock implements Clock, Timers {
  private time: number;
  private seq = 0;
  private readonly heap: ManualTimer[] = [];
  private readonly cancelled = new Set<number>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { id: ++this.seq, at: this.time + Math.max(0, ms), fn };
    this.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.cancelled.add(handle);
  }

  /** Number of timers not yet run or cleared. */
  get pending(): number {
    return this.heap.length - this.cancelled.size;
  }

  /** Time of the earliest pending timer, or `undefined`. */
  nextTimerAt(): number | undefined {
    this.dropCancelledHead();
    return this.heap[0]?.at;
  }

  /** Moves time forward by `ms`, running every timer that falls due. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  /** Moves time to `t` (never backwards), running due timers in order; each sees `now()` = its due time. */
  advanceTo(t: number): void {
    for (;;) {
      this.dropCancelledHead();
      const next = this.heap[0];
      if (next === undefined || next.at > t) break;
      this.pop();
      if (next.at > this.time) this.time = next.at;
      next.fn();
    }
    if (t > this.time) this.time = t;
  }

  private dropCancelledHead(): void {
    while (this.heap.length > 0 && this.cancelled.has(this.heap[0]!.id)) {
      this.cancelled.delete(this.heap[0]!.id);
      this.pop();
    }
  }

  private less(a: ManualTimer, b: ManualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  private push(timer: ManualTimer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
