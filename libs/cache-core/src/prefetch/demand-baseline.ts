/**
 * What a demand-only LRU cache of the same byte budget would have fetched: a shadow of keys and
 * sizes (no values) fed with every read. Each read it would have missed is one origin fetch the
 * budget is measured against, estimated online on the node's own traffic.
 *
 * Keys it evicts go to a ghost list of the same byte budget: a miss found there is a victim read
 * again soon. `ghostHits / evictions` is how likely an entry pushed out of a full cache is still
 * wanted — what a prefetch that takes its place has to beat.
 */
export class DemandBaseline {
  /** key → [size, expiresAt]; insertion order is recency order (oldest first). */
  private readonly entries = new Map<string, [number, number]>();
  private used = 0;
  private readonly ghost = new Map<string, number>();
  private ghostUsed = 0;
  /** Reads the demand-only cache would have missed since creation. */
  misses = 0;
  reads = 0;
  evictions = 0;
  /** Misses on keys it had evicted within the last budget's worth of evictions. */
  ghostHits = 0;

  constructor(private readonly budgetBytes: number) {}

  /** A read of `key` (`size` bytes as far as known, expiring after `ttlMs`); true when it would have missed. */
  read(key: string, size: number, now: number, ttlMs: number | undefined): boolean {
    this.reads++;
    const e = this.entries.get(key);
    if (e !== undefined && e[1] > now) {
      this.entries.delete(key);
      this.entries.set(key, e);
      return false;
    }
    if (e !== undefined) this.drop(key);
    this.misses++;
    const ghostSize = this.ghost.get(key);
    if (ghostSize !== undefined) {
      this.ghostHits++;
      this.ghost.delete(key);
      this.ghostUsed -= ghostSize;
    }
    if (size > this.budgetBytes) return true;
    this.entries.set(key, [size, ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs]);
    this.used += size;
    for (const [k, [victimSize]] of this.entries) {
      if (this.used <= this.budgetBytes) break;
      this.drop(k);
      this.evictions++;
      this.ghost.set(k, victimSize);
      this.ghostUsed += victimSize;
    }
    for (const [k, ghostSize] of this.ghost) {
      if (this.ghostUsed <= this.budgetBytes) break;
      this.ghost.delete(k);
      this.ghostUsed -= ghostSize;
    }
    return true;
  }

  /** The key changed at its origin: the demand-only cache would drop it too. */
  invalidate(key: string): void {
    this.drop(key);
  }

  invalidateWhere(matches: (key: string) => boolean): void {
    for (const k of [...this.entries.keys()]) if (matches(k)) this.drop(k);
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    this.used -= e[0];
  }
}
