import { BinaryHeap } from '@foresight/heap';
import type { Clock, TimerHandle, Timers } from './clock';

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * Simulated clock and timers: time moves only when {@link advanceTo} / {@link advance} is called,
 * and due timers run in time order (ties in scheduling order). Used by tests and the replay benchmarks.
 */
export class ManualClock implements Clock, Timers {
  private time: number;
  private seq = 0;
  private readonly timers = new BinaryHeap<ManualTimer>((a, b) => a.at < b.at || (a.at === b.at && a.id < b.id));
  /** Ids of timers neither run nor cleared; a cleared timer stays in the heap until it surfaces. */
  private readonly scheduled = new Set<number>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { id: ++this.seq, at: this.time + Math.max(0, ms), fn };
    this.scheduled.add(timer.id);
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.scheduled.delete(handle);
  }

  /** Number of timers not yet run or cleared. */
  get pending(): number {
    return this.scheduled.size;
  }

  /** Time of the earliest pending timer, or `undefined`. */
  nextTimerAt(): number | undefined {
    return this.head()?.at;
  }

  /** Moves time forward by `ms`, running every timer that falls due. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  /** Moves time to `t` (never backwards), running due timers in order; each sees `now()` = its due time. */
  advanceTo(t: number): void {
    for (let next = this.head(); next !== undefined && next.at <= t; next = this.head()) {
      this.timers.pop();
      this.scheduled.delete(next.id);
      if (next.at > this.time) this.time = next.at;
      next.fn();
    }
    if (t > this.time) this.time = t;
  }

  /** The earliest timer still scheduled, dropping cleared ones on the way. */
  private head(): ManualTimer | undefined {
    let top = this.timers.peek();
    while (top !== undefined && !this.scheduled.has(top.id)) {
      this.timers.pop();
      top = this.timers.peek();
    }
    return top;
  }
}
