import { IndexedHeap } from '@foresight/heap';
import { FrequencySketch, type FrequencySketchOptions } from './frequency-sketch';
import type { EvictionPolicy } from './policy';

/** Options of {@link LfuPolicy}. */
export interface LfuOptions extends FrequencySketchOptions {
  /**
   * Keep counts of keys after they leave the cache ("perfect LFU"); default false = classic
   * in-cache LFU, where a key's count restarts when it is re-inserted.
   */
  readonly retainHistory?: boolean;
}

/** Least frequently used (ties: least recently used); optional decay and retained history. */
export class LfuPolicy implements EvictionPolicy {
  readonly name: string;
  private readonly heap = new IndexedHeap();
  private readonly sketch: FrequencySketch;
  private readonly retain: boolean;

  constructor(options: LfuOptions = {}) {
    this.sketch = new FrequencySketch(options);
    this.retain = options.retainHistory ?? false;
    this.name = this.retain ? 'lfu-perfect' : 'lfu';
  }

  onHit(key: string): void {
    this.heap.set(key, this.sketch.increment(key));
  }

  onMiss(key: string): void {
    if (this.retain) this.sketch.increment(key);
  }

  onInsert(key: string, _size: number, prefetched: boolean): void {
    // A demand insert follows a miss: in-cache LFU starts the count at one access.
    const score = this.retain || prefetched ? this.sketch.score(key) : this.sketch.increment(key);
    this.heap.set(key, score);
  }

  onRemove(key: string): void {
    this.heap.delete(key);
    if (!this.retain) this.sketch.forget(key);
  }

  victim(): string | undefined {
    return this.heap.peek();
  }
}
