/** Outcome of taking one token from a bucket. */
export type Take = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

/**
 * Token buckets by key (client IP, refresh token): `burst` requests at once, refilled at
 * `perSecond`. In memory, per gateway instance. Full buckets are dropped on prune, and the map
 * is capped so a flood of distinct keys cannot exhaust memory.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {}

  take(key: string, now: number): Take {
    const b = this.refilled(key, now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / this.perSecond) * 1000) };
  }

  /**
   * Takes `count` tokens granted elsewhere (by another gateway) from `key`'s bucket, into debt of at
   * most one burst: this instance then grants nothing until the bucket has refilled past zero, so the
   * rate holds for all instances together.
   */
  charge(key: string, count: number, now: number): void {
    const b = this.refilled(key, now);
    b.tokens = Math.max(-this.burst, b.tokens - count);
  }

  private refilled(key: string, now: number): { tokens: number; at: number } {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.perSecond);
    b.at = Math.max(b.at, now);
    return b;
  }

  /** Drops buckets that have refilled completely (they carry no state). */
  prune(now: number): void {
    for (const [key, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}
