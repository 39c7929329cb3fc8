import { subjects, tokenSubjects, type AssignmentView, type NodeCacheStats, type TokenStatsReply } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { callRpc } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { histogramQuantile, httpDelta, httpTotals, type HttpTotals, type MetricSample } from './http-stats';
import type { PredictionOutcomes } from './prediction-outcomes';
import {
  cacheIntervalRatios,
  cacheTotals,
  clusterView,
  tokenForecastView,
  type CacheTotals,
  type ClusterView,
  type DashboardSnapshot,
  type SeriesPoint,
} from './snapshot';

export interface DashboardFeedDeps {
  readonly config: ForesightConfig;
  readonly nc: NatsConnection;
  readonly metrics: Registry;
  readonly outcomes: PredictionOutcomes;
  readonly logger: Logger;
  readonly clock: Clock;
  /** How often a snapshot is pushed while someone watches. */
  readonly intervalMs?: number;
  /** Points of history kept for a page that opens (at one per interval). */
  readonly historyPoints?: number;
}

export type SnapshotListener = (snapshot: DashboardSnapshot) => void;

/**
 * Gathers what the operators' dashboard shows, once per interval while at least one page watches:
 * the cluster map (the metadata service's assignment, as the gateway already reads it), every live
 * node's predictive-cache counters (`cache.stats`, as `GET /v1/cache/stats`), the gateway's own
 * latency and request counts, and the prediction scoring. Keeps a short history so a page that
 * opens draws its charts at once.
 */
export class DashboardFeed {
  private readonly listeners = new Set<SnapshotListener>();
  private readonly series: SeriesPoint[] = [];
  private readonly intervalMs: number;
  private readonly historyPoints: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<DashboardSnapshot> | null = null;
  private last: DashboardSnapshot | null = null;
  private previous: { at: number; http: HttpTotals; caches: Map<string, CacheTotals> } | null = null;
  private edgeBefore: { hit: number; miss: number } | undefined;
  private acksBefore: number | undefined;
  private stopped = false;

  constructor(private readonly deps: DashboardFeedDeps) {
    this.intervalMs = deps.intervalMs ?? 1000;
    this.historyPoints = deps.historyPoints ?? 300;
  }

  get watchers(): number {
    return this.listeners.size;
  }

  /** Starts pushing snapshots to `listener` (the first watcher starts the collection); returns the unsubscribe. */
  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1 && !this.stopped) this.schedule(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  history(): readonly SeriesPoint[] {
    return this.series;
  }

  /** The newest snapshot; collects one when none is recent (nobody watching). */
  async snapshot(): Promise<DashboardSnapshot> {
    const fresh = this.last && this.deps.clock.now() - Date.parse(this.last.at) < 2 * this.intervalMs;
    return fresh ? this.last! : this.collect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.collect()
        .then((s) => {
          for (const l of [...this.listeners]) l(s);
        })
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'dashboard snapshot failed'))
        .finally(() => {
          if (this.listeners.size > 0 && !this.stopped && !this.timer) this.schedule(this.intervalMs);
        });
    }, delayMs);
  }

  /** One snapshot; concurrent callers share the collection under way. */
  private collect(): Promise<DashboardSnapshot> {
    this.running ??= this.gather().finally(() => (this.running = null));
    return this.running;
  }

  private async gather(): Promise<DashboardSnapshot> {
    const { clock, outcomes } = this.deps;
    let cluster: ClusterView | null = null;
    let clusterError: string | null = null;
    const caches = new Map<string, CacheTotals>();
    const [assignment, http, tokenStats] = await Promise.all([
      this.assignment().catch((e: unknown) => e as Error),
      this.httpTotals(),
      this.tokenStats().catch((e: unknown) => (e instanceof Error ? e : new Error('no answer'))),
    ]);
    if (assignment instanceof Error) {
      clusterError = `The metadata service did not answer: ${assignment.message}`;
    } else {
      const stats = await this.cacheStats(assignment);
      cluster = clusterView(assignment, stats);
      for (const [nodeId, s] of stats) if (!(s instanceof Error)) caches.set(nodeId, { ...s, sessionsInMemory: s.sessionsInMemory ?? 0 });
    }
    const now = clock.now();
    const before = this.previous;
    const seconds = before ? Math.max(0.001, (now - before.at) / 1000) : 0;
    const delta = before ? httpDelta(http, before.http) : null;
    const perSecond = (n: number | undefined) => (delta && n !== undefined ? n / seconds : null);
    const ms = (s: number | null) => (s === null ? null : s * 1000);
    const q = (kind: 'read' | 'write', p: number) => (delta ? ms(histogramQuantile(delta.buckets[kind], p)) : null);
    const count = (kind: 'read' | 'write') => (delta ? (delta.buckets[kind].get(Infinity) ?? 0) / seconds : null);
    const cacheRatios = before ? cacheIntervalRatios(caches, before.caches) : { hitRatio: null, prefetchPrecision: null };
    const predictions = outcomes.view();
    const edge = await this.edgeCache();
    const acks = (await this.metricSum('foresight_gateway_token_acks_total')) ?? 0;
    const point: SeriesPoint = {
      t: now / 1000,
      liveNodes: cluster?.liveNodes ?? null,
      liveSessions: cluster ? cacheTotals(caches).sessionsInMemory : null,
      created: perSecond(delta?.counts.created),
      ended: perSecond(delta?.counts.ended),
      reads: count('read'),
      writes: count('write'),
      readP50: q('read', 0.5),
      readP95: q('read', 0.95),
      readP99: q('read', 0.99),
      writeP50: q('write', 0.5),
      writeP95: q('write', 0.95),
      writeP99: q('write', 0.99),
      refreshed: perSecond(delta?.counts.refreshed),
      refreshRefused: perSecond(delta?.counts.refreshRefused),
      pushedAcked: before && this.acksBefore !== undefined ? Math.max(0, acks - this.acksBefore) / seconds : null,
      issued: perSecond(delta?.counts.issued),
      cacheHitRatio: cacheRatios.hitRatio,
      prefetchPrecision: cacheRatios.prefetchPrecision,
      edgeHitRatio: edge.hitRatio(before ? this.edgeBefore : undefined),
      top1Accuracy: predictions.top1Accuracy,
      listedAccuracy: predictions.listedAccuracy,
    };
    this.edgeBefore = edge.lookups;
    this.acksBefore = acks;
    this.previous = { at: now, http, caches };
    this.series.push(point);
    if (this.series.length > this.historyPoints) this.series.splice(0, this.series.length - this.historyPoints);
    this.last = {
      at: new Date(now).toISOString(),
      intervalMs: this.intervalMs,
      cluster,
      clusterError,
      point,
      predictions,
      edgeCache: { sessions: edge.sessions },
      tokens: {
        openSockets: await this.metricSum('foresight_gateway_token_sockets'),
        forecast: tokenStats instanceof Error ? null : tokenForecastView(tokenStats),
        forecastError: tokenStats instanceof Error ? `The token service did not answer: ${tokenStats.message}` : null,
      },
    };
    return this.last;
  }

  private assignment(): Promise<AssignmentView> {
    const { nc, config } = this.deps;
    return callRpc<AssignmentView>(
      nc,
      subjects(config.nats.namespace).metadataRpc('assignment'),
      'assignment',
      {},
      { timeoutMs: config.nats.requestTimeoutMs },
    );
  }

  /** The token service's refreshes, load and forecast (one instance answers). */
  private tokenStats(): Promise<TokenStatsReply> {
    const { nc, config } = this.deps;
    // Short: a token service that hangs must not hold up the rest of the page.
    const timeoutMs = Math.min(config.nats.requestTimeoutMs, 2000);
    return callRpc<TokenStatsReply>(nc, tokenSubjects(config.nats.namespace).tokenRpc('stats'), 'stats', {}, { timeoutMs });
  }

  /** `cache.stats` of every active node, in parallel; a node that does not answer gets its error. */
  private async cacheStats(assignment: AssignmentView): Promise<Map<string, NodeCacheStats | Error>> {
    const { nc, config } = this.deps;
    const active = assignment.nodes.filter((n) => n.status === 'active');
    const replies = await Promise.all(
      active.map((n) =>
        callRpc<NodeCacheStats>(nc, n.rpcSubject, 'cache.stats', {}, { timeoutMs: config.nats.requestTimeoutMs }).catch((e: unknown) =>
          e instanceof Error ? e : new Error('no answer'),
        ),
      ),
    );
    return new Map(active.map((n, i) => [n.nodeId, replies[i]!]));
  }

  private async samples(name: string): Promise<readonly MetricSample[]> {
    const metric = this.deps.metrics.getSingleMetric(name);
    return metric ? (await metric.get()).values : [];
  }

  private async httpTotals(): Promise<HttpTotals> {
    return httpTotals(await this.samples('foresight_http_request_seconds'));
  }

  /** The sum of a gauge's or counter's values, or null when it is not registered. */
  private async metricSum(name: string): Promise<number | null> {
    const values = await this.samples(name);
    return values.length ? values.reduce((sum, v) => sum + v.value, 0) : null;
  }

  /** The edge (L1) cache: sessions held, and lookups by result for the interval's hit ratio. */
  private async edgeCache() {
    const lookups = { hit: 0, miss: 0 };
    for (const v of await this.samples('foresight_l1_lookups_total')) {
      if (v.labels.result === 'hit') lookups.hit += v.value;
      else if (v.labels.result === 'miss') lookups.miss += v.value;
    }
    return {
      lookups,
      sessions: await this.metricSum('foresight_l1_sessions'),
      hitRatio: (before: { hit: number; miss: number } | undefined) => {
        if (!before) return null;
        const hits = lookups.hit - before.hit;
        const total = hits + lookups.miss - before.miss;
        return total > 0 ? hits / total : null;
      },
    };
  }
}
