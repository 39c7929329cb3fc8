import type { AssignmentView, NodeCacheStats, TokenStatsReply } from '@foresight/contracts';
import type { PredictionAccuracyView } from './prediction-outcomes';

/** A node's predictive cache as the dashboard shows it (ratios since the node started). */
export interface NodeCacheView {
  readonly policy: string;
  readonly prefetch: boolean;
  readonly hits: number;
  readonly misses: number;
  readonly hitRatio: number | null;
  readonly prefetchIssued: number;
  readonly prefetchUsed: number;
  readonly prefetchWasted: number;
  /** Of the prefetched entries whose fate is known, the share read before they left the cache. */
  readonly prefetchPrecision: number | null;
  readonly entries: number;
  readonly usedBytes: number;
  readonly budgetBytes: number;
  /** Sessions with predictive-cache state on the node (those that read data or recorded actions). */
  readonly liveSessions: number;
  /** Live sessions the node holds in memory; null from a node that does not report it. */
  readonly sessionsInMemory: number | null;
  readonly modelVersion: string | null;
  readonly origins: readonly { readonly id: string; readonly breaker: string; readonly latencyEwmaMs: number }[];
}

export interface NodeView {
  readonly nodeId: string;
  /** active, suspect (lease ran out, not yet declared dead), dead or left. */
  readonly status: string;
  readonly shards: number;
  /** Shards moved to this node whose previous owner has not released them yet. */
  readonly awaitingHandoff: number;
  readonly cache: NodeCacheView | null;
  /** Why the node's cache counters are missing (no answer). */
  readonly cacheError: string | null;
}

export interface ClusterView {
  readonly version: number;
  readonly shardCount: number;
  readonly liveNodes: number;
  readonly nodes: readonly NodeView[];
  /** Per shard: the index of its owner in `nodes`, or -1 without one. */
  readonly owners: readonly number[];
  readonly epochs: readonly number[];
  readonly handoffs: readonly { readonly shard: number; readonly to: string; readonly epoch: number }[];
}

/** One point of the time series the page charts; rates are per second over the last interval. */
export interface SeriesPoint {
  /** Seconds since the epoch. */
  readonly t: number;
  readonly liveNodes: number | null;
  /** Live sessions held in memory by the nodes that answered. */
  readonly liveSessions: number | null;
  readonly created: number | null;
  readonly ended: number | null;
  readonly reads: number | null;
  readonly writes: number | null;
  readonly readP50: number | null;
  readonly readP95: number | null;
  readonly readP99: number | null;
  readonly writeP50: number | null;
  readonly writeP95: number | null;
  readonly writeP99: number | null;
  readonly refreshed: number | null;
  readonly refreshRefused: number | null;
  /** Pre-minted pairs pushed over token WebSockets and acknowledged (predictive refreshes taken up). */
  readonly pushedAcked: number | null;
  readonly issued: number | null;
  readonly cacheHitRatio: number | null;
  readonly prefetchPrecision: number | null;
  readonly edgeHitRatio: number | null;
  readonly top1Accuracy: number | null;
  readonly listedAccuracy: number | null;
}

/** Everything the page shows at one instant. */
export interface DashboardSnapshot {
  readonly at: string;
  readonly intervalMs: number;
  /** The cluster map, or null while the metadata service does not answer (`clusterError` says why). */
  readonly cluster: ClusterView | null;
  readonly clusterError: string | null;
  readonly point: SeriesPoint;
  readonly predictions: PredictionAccuracyView;
  readonly edgeCache: { readonly sessions: number | null };
  readonly tokens: {
    readonly openSockets: number | null;
    /** The token service's refreshes, load and load forecast, or null when it did not answer (`forecastError` says why). */
    readonly forecast: TokenForecastView | null;
    readonly forecastError: string | null;
  };
}

/** One scheduler bucket of the token service: refreshes beside its measured load and the forecast made for it. */
export interface TokenForecastPoint {
  /** Seconds since the epoch (start of the bucket). */
  readonly t: number;
  /** Pairs minted by refreshes (scheduled and on request) per second. */
  readonly refreshes: number;
  readonly scheduledRefreshes: number;
  readonly clientRefreshes: number;
  readonly utilisation: number;
  readonly forecast: number | null;
  readonly peak: boolean;
}

export interface TokenForecastView {
  readonly bucketSeconds: number;
  readonly baseTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly peakPredicted: boolean;
  readonly extendedTokens: number;
  readonly scheduler: { readonly refreshed: number; readonly letExpire: number };
  readonly points: readonly TokenForecastPoint[];
}

/** The token service's `stats` answer as the page charts it (rates per second, times in seconds). */
export function tokenForecastView(s: TokenStatsReply): TokenForecastView {
  const seconds = s.bucketMs / 1000;
  return {
    bucketSeconds: seconds,
    baseTtlSeconds: s.baseTtlMs / 1000,
    maxTtlSeconds: s.maxTtlMs / 1000,
    peakPredicted: s.peakPredicted,
    extendedTokens: s.extendedTokens,
    scheduler: s.scheduler,
    points: s.points.map((p) => ({
      t: p.at / 1000,
      refreshes: (p.scheduledRefreshes + p.clientRefreshes) / seconds,
      scheduledRefreshes: p.scheduledRefreshes,
      clientRefreshes: p.clientRefreshes,
      utilisation: p.utilisation,
      forecast: p.forecast,
      peak: p.peak,
    })),
  };
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

export function nodeCacheView(s: NodeCacheStats): NodeCacheView {
  return {
    policy: s.policy,
    prefetch: s.prefetch,
    hits: s.hits,
    misses: s.misses,
    hitRatio: ratio(s.hits, s.hits + s.misses),
    prefetchIssued: s.prefetchIssued,
    prefetchUsed: s.prefetchUsed,
    prefetchWasted: s.prefetchWasted,
    prefetchPrecision: ratio(s.prefetchUsed, s.prefetchUsed + s.prefetchWasted),
    entries: s.entries,
    usedBytes: s.usedBytes,
    budgetBytes: s.budgetBytes,
    liveSessions: s.liveSessions,
    sessionsInMemory: s.sessionsInMemory ?? null,
    modelVersion: s.modelVersion,
    origins: s.origins.map((o) => ({ id: o.id, breaker: o.breaker, latencyEwmaMs: o.latencyEwmaMs })),
  };
}

/** The cluster map from the metadata service's assignment and what each node said of its cache. */
export function clusterView(assignment: AssignmentView, caches: ReadonlyMap<string, NodeCacheStats | Error>): ClusterView {
  const index = new Map(assignment.nodes.map((n, i) => [n.nodeId, i]));
  const shards = new Array<number>(assignment.nodes.length).fill(0);
  const awaiting = new Array<number>(assignment.nodes.length).fill(0);
  const owners: number[] = [];
  const epochs: number[] = [];
  const handoffs: { shard: number; to: string; epoch: number }[] = [];
  for (const s of assignment.shards) {
    const i = s.nodeId === null ? -1 : (index.get(s.nodeId) ?? -1);
    owners[s.shard] = i;
    epochs[s.shard] = s.epoch;
    if (i >= 0) shards[i]!++;
    if (s.ready === false && s.nodeId !== null) {
      handoffs.push({ shard: s.shard, to: s.nodeId, epoch: s.epoch });
      if (i >= 0) awaiting[i]!++;
    }
  }
  const nodes = assignment.nodes.map((n, i): NodeView => {
    const cache = caches.get(n.nodeId);
    return {
      nodeId: n.nodeId,
      status: n.status,
      shards: shards[i]!,
      awaitingHandoff: awaiting[i]!,
      cache: cache && !(cache instanceof Error) ? nodeCacheView(cache) : null,
      cacheError: cache instanceof Error ? cache.message : null,
    };
  });
  return {
    version: assignment.version,
    shardCount: assignment.shardCount,
    liveNodes: nodes.filter((n) => n.status === 'active').length,
    nodes,
    owners: Array.from({ length: assignment.shardCount }, (_, s) => owners[s] ?? -1),
    epochs: Array.from({ length: assignment.shardCount }, (_, s) => epochs[s] ?? 0),
    handoffs,
  };
}

/** Counters of the cluster's caches, summed over the nodes that answered. */
export interface CacheTotals {
  readonly hits: number;
  readonly misses: number;
  readonly prefetchUsed: number;
  readonly prefetchWasted: number;
  readonly sessionsInMemory: number;
}

export function cacheTotals(perNode: ReadonlyMap<string, CacheTotals>): CacheTotals {
  const sum = { hits: 0, misses: 0, prefetchUsed: 0, prefetchWasted: 0, sessionsInMemory: 0 };
  for (const c of perNode.values()) {
    sum.hits += c.hits;
    sum.misses += c.misses;
    sum.prefetchUsed += c.prefetchUsed;
    sum.prefetchWasted += c.prefetchWasted;
    sum.sessionsInMemory += c.sessionsInMemory;
  }
  return sum;
}

/**
 * The cluster's cache figures over the last interval, node by node (a node that restarted counts
 * from zero; a node that is new or gone adds nothing): hit ratio and prefetch precision.
 */
export function cacheIntervalRatios(
  now: ReadonlyMap<string, CacheTotals>,
  before: ReadonlyMap<string, CacheTotals>,
): { hitRatio: number | null; prefetchPrecision: number | null } {
  let hits = 0;
  let misses = 0;
  let used = 0;
  let wasted = 0;
  for (const [nodeId, c] of now) {
    const b = before.get(nodeId);
    if (!b) continue;
    const d = (x: number, y: number) => (x < y ? x : x - y);
    hits += d(c.hits, b.hits);
    misses += d(c.misses, b.misses);
    used += d(c.prefetchUsed, b.prefetchUsed);
    wasted += d(c.prefetchWasted, b.prefetchWasted);
  }
  return { hitRatio: ratio(hits, hits + misses), prefetchPrecision: ratio(used, used + wasted) };
}
