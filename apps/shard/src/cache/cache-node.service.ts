import {
  ByteCache,
  DeclaredRequirements,
  ForesightPolicy,
  KeyPattern,
  LearnedRequirements,
  LfuPolicy,
  LruPolicy,
  PredictiveCache,
  ProtectionTable,
  RequirementResolver,
  type ActionPredictor,
  type EvictionPolicy,
  type LearnedShapeEvidence,
  type OriginRegistry,
  type PrefetchPlan,
} from '@foresight/cache-core';
import type { ForesightConfig } from '@foresight/config';
import {
  ErrorCodes,
  ForesightError,
  type DataGetReply,
  type JsonValue,
  type NodeCacheStats,
  type RequirementDeclaration,
  type SessionCacheStats,
} from '@foresight/contracts';
import { histogram, type Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Histogram, Registry } from 'prom-client';
import { toForesightError } from './cache-errors';
import { configuredOrigins, type ConfiguredOrigin } from './origins/configured-origins';
import { SwappablePredictor, type NodeModel } from './swappable-predictor';

type Context = Readonly<Record<string, string | number | undefined>>;

export interface CacheNodeDeps {
  readonly config: ForesightConfig;
  /** For NATS origins. */
  readonly nc: NatsConnection;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Where the plan latency histogram goes (none without). */
  readonly metrics?: Registry;
}

/**
 * The shard node's predictive cache: one `PredictiveCache` (cache-core, which owns loading, storing,
 * warming and invalidation) over a byte-budgeted `ByteCache` (LRU, LFU or Foresight eviction), the
 * configured origins, declared and learned requirements, and a hot-swappable local model. Other
 * services change it only through its methods.
 */
export class CacheNodeService {
  private readonly declared = new DeclaredRequirements();
  private readonly learned: LearnedRequirements;
  private readonly cache: ByteCache<unknown>;
  private readonly node: PredictiveCache<unknown>;
  private readonly predictor = new SwappablePredictor();
  private readonly origins: readonly ConfiguredOrigin[];
  private readonly registry: OriginRegistry<unknown>;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;
  private stopped = false;
  private readonly counters = { invalidations: 0, invalidMessages: 0 };
  private readonly planSeconds: Histogram<string> | null;

  constructor({ config, nc, logger, clock, metrics }: CacheNodeDeps) {
    this.config = config;
    this.logger = logger;
    this.planSeconds = metrics
      ? histogram(
          metrics,
          'foresight_cache_plan_seconds',
          'Time to record an action and plan its prefetches, by model served',
          ['model'],
          [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
        )
      : null;
    const c = config.cache;
    const protection = c.policy === 'foresight' ? new ProtectionTable() : undefined;
    const policy: EvictionPolicy = c.policy === 'lru' ? new LruPolicy() : c.policy === 'lfu' ? new LfuPolicy() : new ForesightPolicy({ protection });
    this.cache = new ByteCache<unknown>({ budgetBytes: c.budgetBytes, policy, clock });
    this.learned = new LearnedRequirements({ minSupport: c.learned.minSupport, minConfidence: c.learned.minConfidence });
    const { registry, origins, ttlByPattern } = configuredOrigins(c.origins, { nc, clock, maxValueBytes: c.maxValueBytes });
    this.registry = registry;
    this.origins = origins;
    for (const r of c.requirements) this.declared.declare(r.pattern, r.keys);
    this.node = new PredictiveCache<unknown>({
      cache: this.cache,
      origins: registry,
      requirements: new RequirementResolver(this.declared, this.learned),
      clock,
      predictor: c.prefetch ? (this.predictor as ActionPredictor) : undefined,
      learned: this.learned,
      protection,
      liveSessionMs: c.liveSessionMs,
      notFoundTtlMs: c.notFoundTtlMs,
      ttlByPattern,
      warmCurrentAction: c.prefetch && c.warmCurrentAction,
      fetchBudget: c.fetchBudget,
    });
  }

  /** updateProfile: after `action` was committed for the session; plans and queues prefetches, warms the action's own keys. */
  recordAction(sessionId: string, action: string, context: Context): PrefetchPlan | undefined {
    if (this.stopped) return undefined;
    const userId = typeof context.userId === 'string' ? context.userId : null;
    if (userId !== null && this.config.cache.prefetch) {
      const before = this.node.historyOf(sessionId);
      if (before.length > 0) this.predictor.learn(userId, before, action);
    }
    const plan = this.timed(() => this.predictor.asUser(userId, () => this.node.recordAction(sessionId, action, context)));
    if (plan.skipped.length > 0) this.logger.debug({ sessionId, action, skipped: plan.skipped }, 'requirement templates skipped');
    return plan;
  }

  /** Explicit prefetch. */
  prefetch(sessionId: string, action: string, context: Context): PrefetchPlan {
    try {
      return this.node.prefetch(sessionId, action, context);
    } catch (error) {
      throw toForesightError(error);
    }
  }

  /**
   * getWithPrediction: the value and where it came from, then the session's prefetch plan is
   * refreshed (the read fed the learned requirements). Origin failures become `ORIGIN.*` errors.
   */
  async get(sessionId: string, key: string, context: Context = {}): Promise<DataGetReply> {
    const started = performance.now();
    this.checkServed(key);
    let reply: DataGetReply;
    try {
      const r = await this.node.get(sessionId, key);
      const source = r.source === 'cache' && r.prefetched ? 'prefetched' : r.source;
      reply = { key, value: r.value as JsonValue, source, waitedMs: r.waitedMs, servedMs: performance.now() - started, sizeBytes: this.cache.sizeOf(key) ?? 0 };
    } catch (error) {
      throw toForesightError(error);
    }
    if (this.config.cache.prefetch && !this.stopped) {
      try {
        const userId = typeof context.userId === 'string' ? context.userId : null;
        this.timed(() => this.predictor.asUser(userId, () => this.node.replan(sessionId, context)));
      } catch (error) {
        this.logger.warn({ err: error, sessionId }, 'prefetch planning after a read failed');
      }
    }
    return reply;
  }

  /**
   * Drops keys (an origin announced a change); returns how many values, cached or loading, went. A
   * load of such a key in flight does not cache its value, which may predate the change.
   */
  invalidate(target: { keys?: readonly string[]; pattern?: string }): number {
    this.counters.invalidations++;
    let n = 0;
    for (const k of target.keys ?? []) if (this.node.invalidate(k)) n++;
    if (target.pattern !== undefined) {
      const p = new KeyPattern(target.pattern);
      n += this.node.invalidateWhere((k) => p.matches(k));
    }
    return n;
  }

  /** A malformed invalidation message was ignored (counted for `cache.stats` and metrics). */
  countInvalidMessage(): void {
    this.counters.invalidMessages++;
  }

  /** Resolves when every load of `key` running now has ended and its value was stored or dropped. */
  settled(key: string): Promise<void> {
    return this.node.settled(key);
  }

  endSession(sessionId: string): void {
    this.node.endSession(sessionId);
  }

  /** A session loaded here from the store (takeover, or back from idle): continue its prediction history. */
  restoreHistory(sessionId: string, actions: readonly string[]): void {
    if (this.stopped || !this.node.restoreHistory(sessionId, actions)) return;
    this.logger.debug({ sessionId, actions: actions.length }, 'prediction history restored from the session state');
  }

  /** The version of the local next-action model, or null without one. */
  get modelVersion(): string | null {
    return this.predictor.version;
  }

  /** Name of the local model served (`none` without one). */
  get modelName(): string {
    return this.predictor.name;
  }

  /** Installs (or, with null, removes) the local next-action model; requests in flight keep the one they started with. */
  setModel(version: string | null, model: NodeModel | null): void {
    this.predictor.swap(version, model);
  }

  /** Declares (or, with no keys, removes) the keys an action pattern needs. */
  declare(d: RequirementDeclaration): void {
    if (d.keys.length === 0) this.declared.remove(d.pattern);
    else this.declared.declare(d.pattern, d.keys);
  }

  declarations(): RequirementDeclaration[] {
    return this.declared.list().map((r) => ({ pattern: r.actionPattern, keys: [...r.keyTemplates] }));
  }

  /** Adds saved learned-requirement evidence; returns how many shapes it held. */
  importLearned(evidence: readonly LearnedShapeEvidence[]): number {
    return this.learned.importEvidence(evidence);
  }

  exportLearned(): LearnedShapeEvidence[] {
    return this.learned.exportEvidence();
  }

  sessionStats(sessionId: string): SessionCacheStats {
    const s = this.node.sessionStats(sessionId);
    return {
      sessionId,
      nodeId: this.config.cluster.nodeId,
      live: s !== undefined,
      requests: s?.requests ?? 0,
      hits: s?.hits ?? 0,
      joined: s?.joined ?? 0,
      misses: s?.misses ?? 0,
      prefetchUsed: s?.prefetchUsed ?? 0,
      prefetchRequested: s?.prefetchRequested ?? 0,
      historyLength: this.node.historyOf(sessionId).length,
    };
  }

  nodeStats(): NodeCacheStats {
    const b = this.cache.stats;
    const q = this.node.scheduler.stats;
    return {
      nodeId: this.config.cluster.nodeId,
      policy: this.config.cache.policy,
      prefetch: this.config.cache.prefetch,
      budgetBytes: this.cache.budgetBytes,
      usedBytes: this.cache.usedBytes,
      entries: this.cache.size,
      hits: b.hits,
      misses: b.misses,
      evictions: b.evictions,
      expirations: b.expirations,
      prefetchIssued: q.prefetchStarted,
      prefetchCompleted: q.prefetchCompleted,
      prefetchUsed: b.prefetchUsed,
      prefetchWasted: b.prefetchWasted,
      prefetchFailed: q.prefetchFailed,
      originLoads: q.demandLoads + q.warmLoads + q.prefetchStarted,
      invalidations: this.counters.invalidations,
      invalidMessages: this.counters.invalidMessages,
      liveSessions: this.node.sessionCount,
      declaredRequirements: this.declared.list().length,
      learnedShapes: this.learned.shapeCount,
      modelVersion: this.predictor.version,
      origins: this.origins.map(({ spec, origin }) => ({
        id: spec.id,
        pattern: spec.pattern,
        kind: spec.kind,
        latencyEwmaMs: origin.latency.value,
        breaker: origin.breaker.state,
        errors: Object.fromEntries(origin.errors),
      })),
    };
  }

  /** No more planning or warming, queued prefetches cancelled; loads in flight end by their own timeouts. */
  stop(): void {
    this.stopped = true;
    this.node.endAllSessions();
  }

  private timed<T>(plan: () => T): T {
    if (this.planSeconds === null) return plan();
    const started = performance.now();
    const out = plan();
    this.planSeconds.observe({ model: this.predictor.name }, (performance.now() - started) / 1000);
    return out;
  }

  private checkServed(key: string): void {
    const o = this.registry.find(key);
    if (o === undefined) throw new ForesightError(ErrorCodes.ORIGIN_NOT_FOUND, `No origin is configured for key "${key.slice(0, 80)}" (FORESIGHT_ORIGINS).`);
    const reg = this.origins.find((r) => r.origin === o);
    if (reg && reg.pattern.match(key) === undefined) {
      throw new ForesightError(
        ErrorCodes.ORIGIN_NOT_FOUND,
        `Key "${key.slice(0, 80)}" does not fit the pattern ${reg.spec.pattern} of origin "${reg.spec.id}".`,
      );
    }
  }
}
