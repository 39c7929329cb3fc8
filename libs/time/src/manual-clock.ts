import { IndexedHeap } from '@foresight/heap';
import type { Clock, TimerHandle, Timers } from './clock';

/**
 * Simulated clock and timers: time moves only when {@link advanceTo} / {@link advance} is called,
 * and due timers run in time order (ties in scheduling order). Used by tests and the replay benchmarks.
 */
export class ManualClock implements Clock, Timers {
  private time: number;
  private seq = 0;
  /** Timer id by due time; ids grow with scheduling order, which the heap keeps among equal times. */
  private readonly due = new IndexedHeap<number>();
  private readonly callbacks = new Map<number, () => void>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.callbacks.set(id, fn);
    this.due.set(id, this.time + Math.max(0, ms));
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle !== 'number') return;
    this.due.delete(handle);
    this.callbacks.delete(handle);
  }

  /** Number of timers not yet run or cleared. */
  get pending(): number {
    return this.due.size;
  }

  /** Time of the earliest pending timer, or `undefined`. */
  nextTimerAt(): number | undefined {
    return this.due.peekPriority();
  }

  /** Moves time forward by `ms`, running every timer that falls due. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  /** Moves time to `t` (never backwards), running due timers in order; each sees `now()` = its due time. */
  advanceTo(t: number): void {
    for (;;) {
      const at = this.due.peekPriority();
      if (at === undefined || at > t) break;
      const id = this.due.pop()!;
      const fn = this.callbacks.get(id)!;
      this.callbacks.delete(id);
      if (at > this.time) this.time = at;
      fn();
    }
    if (t > this.time) this.time = t;
  }
}
