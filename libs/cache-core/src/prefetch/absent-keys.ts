/** At most this many keys are remembered as absent (the oldest are forgotten first). */
const MAX_ABSENT_KEYS = 10_000;

/**
 * Keys an origin said do not exist (`DATA.NOT_FOUND`), each until `ttlMs` after it said so. One TTL
 * for all, so insertion order is expiry order and expired entries are always at the front.
 */
export class AbsentKeys {
  private readonly until = new Map<string, number>();

  /** `ttlMs` 0 remembers nothing. */
  constructor(readonly ttlMs: number) {}

  get size(): number {
    return this.until.size;
  }

  has(key: string, now: number): boolean {
    return (this.until.get(key) ?? 0) > now;
  }

  remember(key: string, now: number): void {
    if (this.ttlMs <= 0) return;
    this.until.delete(key); // re-insert at the end: the map stays in expiry order
    this.until.set(key, now + this.ttlMs);
    for (const [k, until] of this.until) {
      if (until > now && this.until.size <= MAX_ABSENT_KEYS) break;
      this.until.delete(k);
    }
  }

  /** Forgets `key`; true when it was remembered. */
  forget(key: string): boolean {
    return this.until.delete(key);
  }

  /** Forgets every key that `matches`; returns how many. */
  forgetWhere(matches: (key: string) => boolean): number {
    let n = 0;
    for (const k of [...this.until.keys()]) if (matches(k) && this.until.delete(k)) n++;
    return n;
  }
}
