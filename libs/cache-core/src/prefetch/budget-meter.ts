import { DemandBaseline } from './demand-baseline';
import type { PrefetchRequest } from './fetch-scheduler';
import { FetchBudgetController, type BudgetState } from './fetch-budget';

/** Running totals the meter reads from the cache and the scheduler. */
export interface FetchTotals {
  /** Origin fetches of any kind since creation. */
  readonly fetches: number;
  /** Prefetches read (or joined while loading), and prefetched entries that left the cache unread. */
  readonly used: number;
  readonly wasted: number;
}

/**
 * Which evictions price a prefetch: `shadow`, those of the demand-only LRU shadow (what a full plain
 * cache would push out); `own`, the node's own evictions of entries that had been read (what its
 * eviction policy actually gives up for a prefetch, usually cheaper than an LRU victim); `prefetch`,
 * only the entries the node evicted to make room for a prefetched value (read or not): exactly what
 * the prefetches it made cost. Either way the share read again within one cache's worth of later
 * evictions is the precision a prefetch must beat.
 */
export type VictimMeasure = 'shadow' | 'own' | 'prefetch';

/**
 * Keys the node's cache evicted after they had been read, in a ghost list of the cache's byte budget:
 * a later read of one is a victim read again soon.
 */
export class VictimGhost {
  private readonly ghost = new Map<string, number>();
  private used = 0;
  evictions = 0;
  hits = 0;

  constructor(private readonly budgetBytes: number) {}

  /** The cache evicted `key` (`size` bytes), which had been read. */
  evicted(key: string, size: number): void {
    this.evictions++;
    const had = this.ghost.get(key);
    if (had !== undefined) this.used -= had;
    this.ghost.delete(key);
    this.ghost.set(key, size);
    this.used += size;
    for (const [k, s] of this.ghost) {
      if (this.used <= this.budgetBytes) break;
      this.ghost.delete(k);
      this.used -= s;
    }
  }

  /** A demand read of `key`: counts it when it was a recent victim. */
  read(key: string): void {
    const size = this.ghost.get(key);
    if (size === undefined) return;
    this.hits++;
    this.ghost.delete(key);
    this.used -= size;
  }
}

/**
 * Keys the node's cache evicted to make room for a prefetched value, remembered until the cache has
 * evicted another budget's worth of bytes (of any entry, for any reason): a later read of one is a
 * prefetch's victim read again soon, a cost of that prefetch.
 */
export class PrefetchVictimGhost {
  /** key → evicted bytes (all evictions) when it was evicted; insertion order is eviction order. */
  private readonly ghost = new Map<string, number>();
  private evictedBytes = 0;
  evictions = 0;
  hits = 0;

  constructor(private readonly budgetBytes: number) {}

  /** The cache evicted `key` (`size` bytes); `forPrefetch`: to store a prefetched value (the only ones remembered). */
  evicted(key: string, size: number, forPrefetch: boolean): void {
    this.evictedBytes += size;
    if (forPrefetch) {
      this.evictions++;
      this.ghost.delete(key);
      this.ghost.set(key, this.evictedBytes);
    }
    for (const [k, at] of this.ghost) {
      if (this.evictedBytes - at <= this.budgetBytes) break;
      this.ghost.delete(k);
    }
  }

  /** A demand read of `key`: counts it when it was a recent victim of a prefetch. */
  read(key: string): void {
    if (this.ghost.delete(key)) this.hits++;
  }
}

/** What the node reports about its fetch budget. */
export interface FetchBudgetStats extends BudgetState {
  readonly budget: number;
  /** Reads a demand-only cache of the same size would have missed, and fetches made, since creation. */
  readonly baselineFetches: number;
  readonly fetches: number;
}

/**
 * Wires a {@link FetchBudgetController} to a node: feeds the demand-only estimate with every read,
 * books fetches against it, closes windows, and trims each prefetch plan to what the budget allows.
 */
export class FetchBudgetMeter {
  readonly controller: FetchBudgetController;
  private readonly baseline: DemandBaseline;
  /** The node's own victims, when they price prefetches (`own`, `prefetch`). */
  private readonly victims: VictimGhost | PrefetchVictimGhost | undefined;
  private seen: FetchTotals & { baselineMisses: number; evictions: number; ghostHits: number };
  private window = FetchBudgetMeter.emptyWindow();

  constructor(
    budget: number,
    initialThreshold: number,
    budgetBytes: number,
    private readonly totals: () => FetchTotals,
    victimMeasure: VictimMeasure = 'shadow',
    judge: 'all' | 'marginal' = 'all',
  ) {
    this.controller = new FetchBudgetController({ budget, initialThreshold, judge });
    this.baseline = new DemandBaseline(budgetBytes);
    this.victims = victimMeasure === 'own' ? new VictimGhost(budgetBytes) : victimMeasure === 'prefetch' ? new PrefetchVictimGhost(budgetBytes) : undefined;
    this.seen = { ...totals(), baselineMisses: 0, evictions: 0, ghostHits: 0 };
  }

  private static emptyWindow() {
    return { baselineMisses: 0, fetches: 0, used: 0, wasted: 0, marginalUsed: 0, marginalWasted: 0, wanted: 0, denied: 0, evictions: 0, ghostHits: 0 };
  }

  get threshold(): number {
    return this.controller.threshold;
  }

  get stats(): FetchBudgetStats {
    return { ...this.controller.snapshot, budget: this.controller.budget, baselineFetches: this.baseline.misses, fetches: this.seen.fetches };
  }

  /** A demand read of `key`. */
  read(key: string, size: number, now: number, ttlMs: number | undefined): void {
    this.baseline.read(key, size, now, ttlMs);
    this.victims?.read(key);
    this.sync();
  }

  /**
   * The node's cache evicted `key`; `wasRead`: it had been read (not an unused prefetch);
   * `forPrefetch`: to make room for a prefetched value.
   */
  evicted(key: string, size: number, wasRead: boolean, forPrefetch = false): void {
    if (this.victims instanceof PrefetchVictimGhost) this.victims.evicted(key, size, forPrefetch);
    else if (wasRead) this.victims?.evicted(key, size);
  }

  invalidate(key: string): void {
    this.baseline.invalidate(key);
  }

  /** A prefetch admitted as marginal (see {@link isMarginal}) was read (`used`) or left the cache unread. */
  marginalResolved(used: boolean): void {
    if (used) this.window.marginalUsed++;
    else this.window.marginalWasted++;
  }

  /** A prefetch of probability `p` admitted now is marginal: under twice the current threshold. */
  isMarginal(p: number): boolean {
    return p < 2 * this.controller.threshold;
  }

  invalidateWhere(matches: (key: string) => boolean): void {
    this.baseline.invalidateWhere(matches);
  }

  /**
   * Keeps the requests (most valuable first) the budget allows: those at least as likely as the
   * threshold, as many as the bucket has tokens for once prefetches queued by others are paid.
   * A key already loading costs nothing and is always kept. The kept requests stay in the order given
   * (the plan's), whatever order the budget chose them in.
   */
  admit<R extends PrefetchRequest & { readonly p: number }>(requests: readonly R[], loading: (key: string) => boolean, queuedByOthers: number): R[] {
    this.sync();
    let allowed = Math.floor(this.controller.tokens) - queuedByOthers;
    const kept = new Set<R>();
    for (const r of [...requests].sort((a, b) => b.priority - a.priority)) {
      if (loading(r.key)) {
        kept.add(r);
        continue;
      }
      if (r.p < this.controller.threshold) continue;
      this.window.wanted++;
      if (allowed <= 0) {
        this.window.denied++;
        continue;
      }
      allowed--;
      kept.add(r);
    }
    return requests.filter((r) => kept.has(r));
  }

  private sync(): void {
    const t = this.totals();
    const d = {
      baselineMisses: this.baseline.misses - this.seen.baselineMisses,
      fetches: t.fetches - this.seen.fetches,
      used: t.used - this.seen.used,
      wasted: t.wasted - this.seen.wasted,
    };
    const evictions = this.victims?.evictions ?? this.baseline.evictions;
    const ghostHits = this.victims?.hits ?? this.baseline.ghostHits;
    this.window.evictions += evictions - this.seen.evictions;
    this.window.ghostHits += ghostHits - this.seen.ghostHits;
    this.seen = { ...t, baselineMisses: this.baseline.misses, evictions, ghostHits };
    this.controller.account(d.baselineMisses, d.fetches);
    const w = this.window;
    w.baselineMisses += d.baselineMisses;
    w.fetches += d.fetches;
    w.used += d.used;
    w.wasted += d.wasted;
    if (w.baselineMisses >= this.controller.windowMisses) {
      // Fewer than 10 evictions say little about how much a victim is worth.
      this.controller.adjust({ ...w, victimReuse: w.evictions >= 10 ? w.ghostHits / w.evictions : undefined });
      this.window = FetchBudgetMeter.emptyWindow();
    }
  }
}
