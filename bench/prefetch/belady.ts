import type { EvictionPolicy } from '@foresight/cache-core';
import { IndexedHeap } from '@foresight/heap';

/**
 * Belady's MIN (offline): evicts the resident key whose next request is furthest in the future.
 * The replay tells it, before each read, when that key is requested next ({@link setNextUse}).
 * It only ever sees the demand stream: the minimum number of misses any demand-only cache can have.
 */
export class BeladyPolicy implements EvictionPolicy {
  readonly name = 'belady';
  private readonly heap = new IndexedHeap();
  private readonly nextUse = new Map<string, number>();

  /** The key's next request is at replay index `index` (Infinity when never). */
  setNextUse(key: string, index: number): void {
    this.nextUse.set(key, index);
    if (this.heap.has(key)) this.heap.set(key, -index);
  }

  onHit(key: string): void {
    this.heap.set(key, -(this.nextUse.get(key) ?? Number.POSITIVE_INFINITY));
  }

  onMiss(): void {}

  onInsert(key: string): void {
    this.heap.set(key, -(this.nextUse.get(key) ?? Number.POSITIVE_INFINITY));
  }

  onRemove(key: string): void {
    this.heap.delete(key);
  }

  victim(): string | undefined {
    return this.heap.peek();
  }
}

/** For each request index, the index of the next request of the same key (Infinity when none). */
export function nextUseIndex(keys: readonly string[]): Float64Array {
  const out = new Float64Array(keys.length);
  const last = new Map<string, number>();
  for (let i = keys.length - 1; i >= 0; i--) {
    out[i] = last.get(keys[i]!) ?? Number.POSITIVE_INFINITY;
    last.set(keys[i]!, i);
  }
  return out;
}
