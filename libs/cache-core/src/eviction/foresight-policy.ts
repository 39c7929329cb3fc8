import { IndexedHeap } from '@foresight/heap';
import { requireNumber } from '../errors';
import { FrequencySketch, type FrequencySketchOptions } from './frequency-sketch';
import type { EvictionPolicy } from './policy';
import { ProtectionTable } from './protection-table';

/** Options of {@link ForesightPolicy}. */
export interface ForesightPolicyOptions extends FrequencySketchOptions {
  /** Predictions of live sessions; share the table with the prefetch planner (default: a private one). */
  readonly protection?: ProtectionTable;
  /**
   * Score penalty, in halvings of the access count, of an entry prefetched and not yet read (default 1):
   * once its protection lapses it leaves before an equally frequent entry that was actually used.
   */
  readonly unusedPrefetchPenalty?: number;
  /** Protected entries may hold at most this share of the budget before the least likely are evicted (default 0.75, as the planner's `prefetchBudgetShare`). */
  readonly maxProtectedShare?: number;
}

interface Meta {
  size: number;
  prefetched: boolean;
  guarded: boolean;
}

/**
 * Foresight's eviction scorer: recency, frequency and predicted future use.
 *
 * - Frequency and recency: every demand read of a key, resident or not, adds to an exponentially
 *   decayed count ({@link FrequencySketch}); with a finite half-life recent reads weigh more.
 * - Predicted use: a key a live session is predicted to read within its next few requests is
 *   protected (see {@link ProtectionTable}); protected entries are evicted only when no unprotected
 *   entry is left, or when they exceed {@link ForesightPolicyOptions.maxProtectedShare} of the
 *   budget, least likely first.
 * - Prefetched entries not yet read lose `unusedPrefetchPenalty` halvings of their score, so once
 *   no session predicts them any more they age out faster than entries that were used.
 */
export class ForesightPolicy implements EvictionPolicy {
  readonly name = 'foresight';
  readonly protection: ProtectionTable;
  private readonly sketch: FrequencySketch;
  private readonly free = new IndexedHeap();
  private readonly guarded = new IndexedHeap();
  private readonly meta = new Map<string, Meta>();
  private readonly penalty: number;
  private readonly maxShare: number;
  private budget = Number.POSITIVE_INFINITY;
  private guardedBytes = 0;
  private freeBytes = 0;

  constructor(options: ForesightPolicyOptions = {}) {
    this.sketch = new FrequencySketch(options);
    this.protection = options.protection ?? new ProtectionTable();
    this.penalty = requireNumber('unusedPrefetchPenalty', options.unusedPrefetchPenalty ?? 1, 0);
    this.maxShare = requireNumber('maxProtectedShare', options.maxProtectedShare ?? 0.75, 0, 1);
    this.protection.subscribe((key) => {
      if (this.meta.has(key)) this.place(key);
    });
  }

  attach(budgetBytes: number): void {
    this.budget = budgetBytes;
  }

  onHit(key: string): void {
    this.sketch.increment(key);
    const m = this.meta.get(key);
    if (m) m.prefetched = false;
    this.place(key);
  }

  onMiss(key: string): void {
    this.sketch.increment(key);
  }

  onInsert(key: string, size: number, prefetched: boolean): void {
    this.meta.set(key, { size, prefetched, guarded: false });
    this.freeBytes += size;
    this.place(key);
  }

  onRemove(key: string): void {
    const m = this.meta.get(key);
    if (m === undefined) return;
    if (m.guarded) {
      this.guarded.delete(key);
      this.guardedBytes -= m.size;
    } else {
      this.free.delete(key);
      this.freeBytes -= m.size;
    }
    this.meta.delete(key);
  }

  victim(): string | undefined {
    if (this.guarded.size > 0 && (this.free.size === 0 || this.guardedBytes > this.maxShare * this.budget)) {
      return this.guarded.peek();
    }
    return this.free.peek();
  }

  admit(key: string, _size: number, prefetched: boolean, bytesToFree: number): boolean {
    if (!prefetched || this.freeBytes >= bytesToFree) return true;
    // A speculative entry may push out protected ones only if it is itself more likely to be read.
    return this.protection.level(key) > (this.guarded.peekPriority() ?? 0);
  }

  /** Score used to order unprotected entries (higher stays longer). */
  scoreOf(key: string): number {
    const m = this.meta.get(key);
    return this.sketch.score(key) - (m?.prefetched ? this.penalty : 0);
  }

  private place(key: string): void {
    const m = this.meta.get(key)!;
    const level = this.protection.level(key);
    const guard = level > 0;
    if (guard !== m.guarded) {
      if (guard) {
        this.free.delete(key);
        this.freeBytes -= m.size;
        this.guardedBytes += m.size;
      } else {
        this.guarded.delete(key);
        this.guardedBytes -= m.size;
        this.freeBytes += m.size;
      }
      m.guarded = guard;
    }
    if (guard) this.guarded.set(key, level);
    else this.free.set(key, this.scoreOf(key));
  }
}
