import type { EvictionPolicy } from './policy';

/** Least recently used; prefetched entries enter at the most recently used end. */
export class LruPolicy implements EvictionPolicy {
  readonly name = 'lru';
  // A Map iterates in insertion order: re-inserting a key moves it to the MRU end in O(1).
  private readonly order = new Map<string, true>();

  onHit(key: string): void {
    this.order.delete(key);
    this.order.set(key, true);
  }

  onMiss(): void {}

  onInsert(key: string): void {
    this.order.delete(key);
    this.order.set(key, true);
  }

  onRemove(key: string): void {
    this.order.delete(key);
  }

  victim(): string | undefined {
    return this.order.keys().next().value;
  }
}
