/**
 * Decides which resident entry leaves the cache when room is needed.
 *
 * The {@link ByteCache} tells the policy about every demand read (hit or miss), insertion and
 * removal, and asks it for a victim until the new entry fits. Policies keep their own ordering
 * structures; they never hold values.
 */
export interface EvictionPolicy {
  /** Short stable name used in stats and reports (`lru`, `lfu`, `foresight`). */
  readonly name: string;
  /** Called once by the cache with its memory budget. */
  attach?(budgetBytes: number): void;
  /** A demand read found `key` resident. */
  onHit(key: string): void;
  /** A demand read did not find `key` (policies may keep history of non-resident keys). */
  onMiss(key: string): void;
  /** `key` became resident; `prefetched` when it arrived by prefetch rather than demand. */
  onInsert(key: string, size: number, prefetched: boolean): void;
  /** `key` left the cache (evicted, deleted, invalidated or expired). */
  onRemove(key: string): void;
  /** Next key to evict, or `undefined` when nothing can be evicted. */
  victim(): string | undefined;
  /**
   * Whether to admit a new entry that needs `bytesToFree` bytes evicted first; omitted = always.
   * Lets a policy refuse a speculative entry that would push out something more valuable.
   */
  admit?(key: string, size: number, prefetched: boolean, bytesToFree: number): boolean;
}
