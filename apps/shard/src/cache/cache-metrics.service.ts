import type { NodeCacheStats } from '@foresight/contracts';
import { counter, gauge } from '@foresight/observability';
import type { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { CacheNodeService } from './cache-node.service';

type CounterField =
  | 'hits'
  | 'misses'
  | 'evictions'
  | 'expirations'
  | 'prefetchIssued'
  | 'prefetchUsed'
  | 'prefetchWasted'
  | 'prefetchFailed'
  | 'originLoads'
  | 'invalidations'
  | 'invalidMessages';

const COUNTERS: readonly [CounterField, string, string][] = [
  ['hits', 'foresight_cache_hits_total', 'Demand reads served from the cache'],
  ['misses', 'foresight_cache_misses_total', 'Demand reads not in the cache'],
  ['evictions', 'foresight_cache_evictions_total', 'Entries evicted for room'],
  ['expirations', 'foresight_cache_expirations_total', 'Entries dropped at their TTL'],
  ['prefetchIssued', 'foresight_cache_prefetch_issued_total', 'Prefetch loads started'],
  ['prefetchUsed', 'foresight_cache_prefetch_used_total', 'Prefetched entries read at least once'],
  ['prefetchWasted', 'foresight_cache_prefetch_wasted_total', 'Prefetched entries that left the cache unread'],
  ['prefetchFailed', 'foresight_cache_prefetch_failed_total', 'Prefetch loads that failed'],
  ['originLoads', 'foresight_cache_origin_loads_total', 'Origin loads (demand, warm-up and prefetch)'],
  ['invalidations', 'foresight_cache_invalidations_total', 'Invalidation messages applied'],
  ['invalidMessages', 'foresight_cache_invalid_messages_total', 'Malformed invalidation messages ignored'],
];

const BREAKER = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * Per-node Prometheus metrics of the predictive cache, copied from the cache's own counters once a
 * second (the cache core keeps plain counters; this adapts them).
 */
export class CacheMetricsService {
  private timer: NodeJS.Timeout | null = null;
  private readonly counters: [CounterField, Counter<string>][];
  private readonly last = new Map<CounterField, number>();
  private readonly bytes;
  private readonly entries;
  private readonly latency;
  private readonly breaker;

  private readonly cache: Pick<CacheNodeService, 'nodeStats'>;

  constructor({ cache, metrics: registry }: { readonly cache: Pick<CacheNodeService, 'nodeStats'>; readonly metrics: Registry }) {
    this.cache = cache;
    this.counters = COUNTERS.map(([field, name, help]) => [field, counter(registry, name, help)]);
    this.bytes = gauge(registry, 'foresight_cache_bytes', 'Bytes of cached values (the budget bounds it)', ['kind']);
    this.entries = gauge(registry, 'foresight_cache_entries', 'Cached entries');
    this.latency = gauge(registry, 'foresight_cache_origin_latency_ewma_seconds', 'Latency EWMA per origin', ['origin']);
    this.breaker = gauge(registry, 'foresight_cache_origin_breaker_state', 'Circuit breaker per origin: 0 closed, 1 half-open, 2 open', ['origin']);
  }

  start(): void {
    this.timer = setInterval(() => this.update(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.update();
  }

  update(stats: NodeCacheStats = this.cache.nodeStats()): void {
    for (const [field, c] of this.counters) {
      const delta = stats[field] - (this.last.get(field) ?? 0);
      if (delta > 0) c.inc(delta);
      this.last.set(field, stats[field]);
    }
    this.bytes.set({ kind: 'used' }, stats.usedBytes);
    this.bytes.set({ kind: 'budget' }, stats.budgetBytes);
    this.entries.set(stats.entries);
    for (const o of stats.origins) {
      this.latency.set({ origin: o.id }, o.latencyEwmaMs / 1000);
      this.breaker.set({ origin: o.id }, BREAKER[o.breaker]);
    }
  }
}
