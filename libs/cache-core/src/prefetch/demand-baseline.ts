/**
 * What a demand-only LRU cache of the same byte budget would have fetched: a shadow of keys and
 * sizes (no values) fed with every read. Each read it would have missed is one origin fetch the
 * budget is measured against, estimated online on the node's own traffic.
 */
export class DemandBaseline {
  /** key → [size, expiresAt]; insertion order is recency order (oldest first). */
  private readonly entries = new Map<string, [number, number]>();
  private used = 0;
  /** Reads the demand-only cache would have missed since creation. */
  misses = 0;
  reads = 0;

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
    if (size > this.budgetBytes) return true;
    this.entries.set(key, [size, ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs]);
    this.used += size;
    for (const [k] of this.entries) {
      if (this.used <= this.budgetBytes) break;
      this.drop(k);
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
