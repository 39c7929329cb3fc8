import type { Clock } from '@foresight/time';
import { CacheError, requireInt } from '../errors';
import type { EvictionPolicy } from '../eviction/policy';
import { requireKey } from '../keys';

/** Why an entry left the cache. */
export type RemovalReason = 'evicted' | 'expired' | 'deleted';

/** Outcome of {@link ByteCache.set}. */
export type SetOutcome = 'stored' | 'replaced' | 'rejected' | 'too-large';

/** Options of {@link ByteCache}. */
export interface ByteCacheOptions {
  /** Memory budget: the sum of entry sizes never exceeds it. */
  readonly budgetBytes: number;
  readonly policy: EvictionPolicy;
  /** Needed for TTLs (default: entries never expire). */
  readonly clock?: Clock;
  /** Called after an entry left the cache. */
  readonly onRemove?: (key: string, reason: RemovalReason, wasUnusedPrefetch: boolean) => void;
}

/** Options of one {@link ByteCache.set}. */
export interface SetOptions {
  /** The value arrived by prefetch, not because a reader asked for it. */
  readonly prefetched?: boolean;
  /** Time to live in milliseconds (default: no expiry). */
  readonly ttlMs?: number;
}

/** A successful read. */
export interface ReadResult<V> {
  readonly value: V;
  readonly size: number;
  /** First read of an entry that was prefetched: the prefetch paid off. */
  readonly prefetchUsed: boolean;
}

/** Counters since creation. */
export interface ByteCacheStats {
  hits: number;
  misses: number;
  inserts: number;
  prefetchInserts: number;
  prefetchUsed: number;
  /** Prefetched entries that left the cache before anyone read them. */
  prefetchWasted: number;
  evictions: number;
  expirations: number;
  rejected: number;
}

interface Entry<V> {
  value: V;
  size: number;
  expiresAt: number;
  unusedPrefetch: boolean;
}

/**
 * Key/value cache accounted in bytes with a pluggable {@link EvictionPolicy}.
 *
 * Sizes are given by the caller (bytes of the encoded value). `read`/`get` are demand reads and feed
 * the policy; `peek`/`has` do not. Single-threaded by design, like the rest of a Node process.
 */
export class ByteCache<V> {
  readonly budgetBytes: number;
  readonly policy: EvictionPolicy;
  readonly stats: ByteCacheStats = {
    hits: 0,
    misses: 0,
    inserts: 0,
    prefetchInserts: 0,
    prefetchUsed: 0,
    prefetchWasted: 0,
    evictions: 0,
    expirations: 0,
    rejected: 0,
  };
  private readonly entries = new Map<string, Entry<V>>();
  private readonly clock: Clock | undefined;
  private readonly onRemoveHook: ByteCacheOptions['onRemove'];
  private readonly removalListeners: NonNullable<ByteCacheOptions['onRemove']>[] = [];
  private used = 0;

  constructor(options: ByteCacheOptions) {
    this.budgetBytes = requireInt('budgetBytes', options.budgetBytes, 1);
    this.policy = options.policy;
    this.clock = options.clock;
    this.onRemoveHook = options.onRemove;
    this.policy.attach?.(this.budgetBytes);
  }

  /** Adds a listener of every removal, after the one given at construction (a node's fetch budget watches its victims). */
  onRemoval(listener: NonNullable<ByteCacheOptions['onRemove']>): void {
    this.removalListeners.push(listener);
  }

  /** Bytes held. */
  get usedBytes(): number {
    return this.used;
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Demand read: counts a hit or a miss and informs the policy. */
  read(key: string): ReadResult<V> | undefined {
    const e = this.live(key);
    if (e === undefined) {
      this.stats.misses++;
      this.policy.onMiss(key);
      return undefined;
    }
    this.stats.hits++;
    const prefetchUsed = e.unusedPrefetch;
    if (prefetchUsed) {
      e.unusedPrefetch = false;
      this.stats.prefetchUsed++;
    }
    this.policy.onHit(key);
    return { value: e.value, size: e.size, prefetchUsed };
  }

  /** Demand read returning only the value. */
  get(key: string): V | undefined {
    return this.read(key)?.value;
  }

  /** Value without counting a read. */
  peek(key: string): V | undefined {
    return this.live(key)?.value;
  }

  /** Size in bytes of a resident entry, or undefined (not a read). */
  sizeOf(key: string): number | undefined {
    return this.live(key)?.size;
  }

  /** True when `key` is resident and not expired (not a read). */
  has(key: string): boolean {
    return this.live(key) !== undefined;
  }

  /**
   * Stores `value` of `size` bytes, evicting as the policy decides. Returns `too-large` when the entry
   * alone exceeds the budget and `rejected` when the policy refuses to admit it; neither throws.
   */
  set(key: string, value: V, size: number, options: SetOptions = {}): SetOutcome {
    requireKey(key);
    requireInt('size', size, 0);
    const prefetched = options.prefetched ?? false;
    if (size > this.budgetBytes) {
      this.stats.rejected++;
      return 'too-large';
    }
    const expiresAt = options.ttlMs === undefined || this.clock === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + options.ttlMs;
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      // A replacement re-enters like a new entry: the policy sees a removal and an insertion.
      const stillUnused = existing.unusedPrefetch && prefetched;
      this.entries.delete(key);
      this.used -= existing.size;
      this.policy.onRemove(key);
      const outcome = this.insert(key, value, size, expiresAt, prefetched, true);
      const e = this.entries.get(key);
      if (e !== undefined) e.unusedPrefetch = stillUnused;
      return outcome === 'stored' ? 'replaced' : outcome;
    }
    return this.insert(key, value, size, expiresAt, prefetched, false);
  }

  /** Whether {@link set} would store a new entry of `size` bytes now (resident keys are always replaceable). */
  wouldAdmit(key: string, size: number, prefetched: boolean): boolean {
    if (size > this.budgetBytes) return false;
    if (this.entries.has(key)) return true;
    const toFree = this.used + size - this.budgetBytes;
    return toFree <= 0 || this.policy.admit?.(key, size, prefetched, toFree) !== false;
  }

  /** Removes `key` (invalidation); returns false when it was not resident. */
  delete(key: string): boolean {
    if (!this.entries.has(key)) return false;
    this.remove(key, 'deleted');
    return true;
  }

  /** Removes every key the predicate selects; returns how many. */
  deleteWhere(predicate: (key: string) => boolean): number {
    const doomed = [...this.entries.keys()].filter(predicate);
    for (const key of doomed) this.remove(key, 'deleted');
    return doomed.length;
  }

  /** Resident keys (snapshot, insertion order). */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  private insert(key: string, value: V, size: number, expiresAt: number, prefetched: boolean, replacing: boolean): SetOutcome {
    const toFree = this.used + size - this.budgetBytes;
    if (toFree > 0 && this.policy.admit?.(key, size, prefetched, toFree) === false) {
      this.stats.rejected++;
      return 'rejected';
    }
    if (!this.evictUntilFits(size)) {
      this.stats.rejected++;
      return 'rejected';
    }
    this.entries.set(key, { value, size, expiresAt, unusedPrefetch: prefetched });
    this.used += size;
    if (!replacing) {
      this.stats.inserts++;
      if (prefetched) this.stats.prefetchInserts++;
    }
    this.policy.onInsert(key, size, prefetched);
    return 'stored';
  }

  private live(key: string): Entry<V> | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt !== Number.POSITIVE_INFINITY && this.clock !== undefined && this.clock.now() >= e.expiresAt) {
      this.remove(key, 'expired');
      return undefined;
    }
    return e;
  }

  private evictUntilFits(incoming: number): boolean {
    while (this.used + incoming > this.budgetBytes) {
      const victim = this.policy.victim();
      if (victim === undefined || !this.entries.has(victim)) {
        if (victim !== undefined)
          throw new CacheError('CACHE.INVALID_ARGUMENT', `Eviction policy "${this.policy.name}" chose "${victim}", which is not resident.`);
        return false;
      }
      this.remove(victim, 'evicted');
    }
    return true;
  }

  private remove(key: string, reason: RemovalReason): void {
    const e = this.entries.get(key)!;
    this.entries.delete(key);
    this.used -= e.size;
    this.policy.onRemove(key);
    if (reason === 'evicted') this.stats.evictions++;
    if (reason === 'expired') this.stats.expirations++;
    if (e.unusedPrefetch) this.stats.prefetchWasted++;
    this.onRemoveHook?.(key, reason, e.unusedPrefetch);
    for (const listener of this.removalListeners) listener(key, reason, e.unusedPrefetch);
  }
}
