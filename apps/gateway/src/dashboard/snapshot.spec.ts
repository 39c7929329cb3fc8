import type { AssignmentView, NodeCacheStats } from '@foresight/contracts';
import { cacheIntervalRatios, clusterView, tokenForecastView, type CacheTotals } from './snapshot';

const node = (nodeId: string, status = 'active') => ({ nodeId, status, rpcSubject: `fs.rpc.shard.${nodeId}` });

function stats(nodeId: string, over: Partial<NodeCacheStats> = {}): NodeCacheStats {
  return {
    nodeId,
    policy: 'foresight',
    prefetch: true,
    budgetBytes: 1000,
    usedBytes: 10,
    entries: 1,
    hits: 3,
    misses: 1,
    evictions: 0,
    expirations: 0,
    prefetchIssued: 4,
    prefetchCompleted: 4,
    prefetchUsed: 1,
    prefetchWasted: 3,
    prefetchFailed: 0,
    originLoads: 2,
    invalidations: 0,
    invalidMessages: 0,
    liveSessions: 7,
    sessionsInMemory: 9,
    declaredRequirements: 0,
    learnedShapes: 0,
    modelVersion: null,
    origins: [{ id: 'example', pattern: '*', kind: 'http', latencyEwmaMs: 2.5, breaker: 'open', errors: {} }],
    ...over,
  } as NodeCacheStats;
}

describe('the cluster map of the dashboard', () => {
  it('counts live nodes, shards per owner and handoffs in progress, and keeps each node cache figures', () => {
    const assignment: AssignmentView = {
      shardCount: 4,
      version: 9,
      nodes: [node('a'), node('b'), node('c', 'suspect')],
      shards: [
        { shard: 0, nodeId: 'a', epoch: 3 },
        { shard: 1, nodeId: 'b', epoch: 4, ready: false },
        { shard: 2, nodeId: null, epoch: 1 },
        { shard: 3, nodeId: 'a', epoch: 2, ready: true },
      ],
    };
    const view = clusterView(
      assignment,
      new Map<string, NodeCacheStats | Error>([
        ['a', stats('a')],
        ['b', new Error('no responders')],
      ]),
    );
    expect(view.liveNodes).toBe(2);
    expect(view.owners).toEqual([0, 1, -1, 0]);
    expect(view.epochs).toEqual([3, 4, 1, 2]);
    expect(view.handoffs).toEqual([{ shard: 1, to: 'b', epoch: 4 }]);
    expect(view.nodes.map((n) => [n.nodeId, n.shards, n.awaitingHandoff])).toEqual([
      ['a', 2, 0],
      ['b', 1, 1],
      ['c', 0, 0],
    ]);
    const a = view.nodes[0]!.cache!;
    expect([a.hitRatio, a.prefetchPrecision, a.liveSessions, a.sessionsInMemory]).toEqual([0.75, 0.25, 7, 9]);
    expect(a.origins).toEqual([{ id: 'example', breaker: 'open', latencyEwmaMs: 2.5 }]);
    expect(view.nodes[1]).toMatchObject({ cache: null, cacheError: 'no responders' });
    expect(view.nodes[2]).toMatchObject({ cache: null, cacheError: null });
  });

  it('gives no ratio without observations, and no session count from a node that does not report one', () => {
    const view = clusterView(
      { shardCount: 1, version: 1, nodes: [node('a')], shards: [{ shard: 0, nodeId: 'a', epoch: 1 }] },
      new Map([['a', stats('a', { hits: 0, misses: 0, prefetchUsed: 0, prefetchWasted: 0, sessionsInMemory: undefined })]]),
    );
    expect(view.nodes[0]!.cache).toMatchObject({ hitRatio: null, prefetchPrecision: null, sessionsInMemory: null });
  });

  it('computes the interval ratios node by node: a restarted node counts from zero, a new one not at all', () => {
    const t = (hits: number, misses: number, prefetchUsed: number, prefetchWasted: number): CacheTotals => ({
      hits,
      misses,
      prefetchUsed,
      prefetchWasted,
      sessionsInMemory: 0,
    });
    const before = new Map([
      ['a', t(10, 10, 1, 1)],
      ['b', t(100, 0, 50, 0)],
    ]);
    const now = new Map([
      ['a', t(13, 11, 2, 4)],
      ['b', t(1, 1, 0, 0)],
      ['c', t(1000, 0, 0, 0)],
    ]);
    const r = cacheIntervalRatios(now, before);
    expect(r.hitRatio).toBeCloseTo(4 / 6);
    expect(r.prefetchPrecision).toBeCloseTo(1 / 4);
    expect(cacheIntervalRatios(now, new Map())).toEqual({ hitRatio: null, prefetchPrecision: null });
  });

  it("turns the token service's stats into refreshes per second beside the measured and forecast load", () => {
    const view = tokenForecastView({
      bucketMs: 10_000,
      baseTtlMs: 900_000,
      maxTtlMs: 1_800_000,
      peakPredicted: true,
      extendedTokens: 3,
      scheduler: { refreshed: 7, letExpire: 2 },
      points: [
        { at: 1_000_000, utilisation: 0.3, forecast: null, issued: 4, clientRefreshes: 1, scheduledRefreshes: 4, peak: false },
        { at: 1_010_000, utilisation: 0.8, forecast: 0.7, issued: 0, clientRefreshes: 0, scheduledRefreshes: 0, peak: true },
      ],
    });
    expect(view).toMatchObject({ bucketSeconds: 10, baseTtlSeconds: 900, maxTtlSeconds: 1800, peakPredicted: true, extendedTokens: 3 });
    expect(view.points).toEqual([
      { t: 1000, refreshes: 0.5, scheduledRefreshes: 4, clientRefreshes: 1, utilisation: 0.3, forecast: null, peak: false },
      { t: 1010, refreshes: 0, scheduledRefreshes: 0, clientRefreshes: 0, utilisation: 0.8, forecast: 0.7, peak: true },
    ]);
  });
});
