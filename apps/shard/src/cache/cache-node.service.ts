import { Inject, Injectable } from '@nestjs/common';
import {
  ByteCache,
  DeclaredRequirements,
  ForesightPolicy,
  isCacheError,
  KeyPattern,
  LearnedRequirements,
  LfuPolicy,
  LruPolicy,
  OriginRegistry,
  PatternTable,
  PredictiveCache,
  ProtectionTable,
  RequirementResolver,
  ResilientOrigin,
  type ActionPredictor,
  type EvictionPolicy,
  type PrefetchPlan,
} from '@foresight/cache-core';
import type { ForesightConfig, OriginSpec } from '@foresight/config';
import { ErrorCodes, ForesightError, type DataGetReply, type ErrorCode, type JsonValue, type NodeCacheStats, type SessionCacheStats } from '@foresight/contracts';
import type { Logger } from '@foresight/observability';
import { CLOCK, CONFIG, LOGGER, NATS } from '@foresight/platform';
import { systemTimers, type Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { httpOriginFetch } from './origins/http-origin';
import { OriginKeyPattern } from './origins/key-template';
import { natsOriginFetch } from './origins/nats-origin';
import { SwappablePredictor } from './swappable-predictor';

type Context = Readonly<Record<string, string | number | undefined>>;

const CODE_BY_CACHE_ERROR: Readonly<Record<string, ErrorCode>> = {
  'ORIGIN.TIMEOUT': ErrorCodes.ORIGIN_TIMEOUT,
  'ORIGIN.FAILED': ErrorCodes.ORIGIN_FAILED,
  'ORIGIN.BAD_RESPONSE': ErrorCodes.ORIGIN_BAD_RESPONSE,
  'ORIGIN.CIRCUIT_OPEN': ErrorCodes.ORIGIN_CIRCUIT_OPEN,
  'ORIGIN.NOT_FOUND': ErrorCodes.ORIGIN_NOT_FOUND,
  'DATA.NOT_FOUND': ErrorCodes.DATA_NOT_FOUND,
  'CACHE.INVALID_KEY': ErrorCodes.VALIDATION,
  'CACHE.INVALID_PATTERN': ErrorCodes.CACHE_INVALID_PATTERN,
  'REQUIREMENT.INVALID_TEMPLATE': ErrorCodes.REQUIREMENT_INVALID_TEMPLATE,
  'CACHE.ENTRY_TOO_LARGE': ErrorCodes.ORIGIN_BAD_RESPONSE,
};

/** A cache-core error as a ForesightError with the same (or the mapped) stable code; others unchanged. */
function toForesightError(error: unknown): unknown {
  if (!isCacheError(error)) return error;
  return new ForesightError(CODE_BY_CACHE_ERROR[error.code] ?? ErrorCodes.INTERNAL, error.message);
}

interface RegisteredOrigin {
  readonly spec: OriginSpec;
  readonly pattern: OriginKeyPattern;
  readonly origin: ResilientOrigin<unknown>;
}

/**
 * The shard node's predictive cache (P4–P9): one `PredictiveCache` over a byte-budgeted
 * `ByteCache` (LRU, LFU or Foresight eviction), the configured origins (HTTP/NATS behind
 * `ResilientOrigin`), declared and learned requirements, and a hot-swappable local model.
 */
@Injectable()
export class CacheNodeService {
  readonly declared = new DeclaredRequirements();
  readonly learned: LearnedRequirements;
  readonly cache: ByteCache<unknown>;
  readonly node: PredictiveCache<unknown>;
  readonly predictor = new SwappablePredictor();
  readonly origins: readonly RegisteredOrigin[];
  private readonly registry = new OriginRegistry<unknown>();
  private readonly ttl = new PatternTable<number>();
  private readonly resolver: RequirementResolver;
  private stopped = false;
  readonly counters = { invalidations: 0, invalidMessages: 0, warmed: 0, warmFailed: 0 };

  constructor(
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(NATS) nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    const c = config.cache;
    const protection = c.policy === 'foresight' ? new ProtectionTable() : undefined;
    const policy: EvictionPolicy = c.policy === 'lru' ? new LruPolicy() : c.policy === 'lfu' ? new LfuPolicy() : new ForesightPolicy({ protection });
    this.cache = new ByteCache<unknown>({ budgetBytes: c.budgetBytes, policy, clock });
    this.learned = new LearnedRequirements({ minSupport: c.learned.minSupport, minConfidence: c.learned.minConfidence });
    const deps = { clock, timers: systemTimers, rng: Math.random };
    this.origins = c.origins.map((spec) => {
      const pattern = new OriginKeyPattern(spec.pattern);
      const fetch = spec.kind === 'http' ? httpOriginFetch(spec, pattern, c.maxValueBytes) : natsOriginFetch(spec, nc, c.maxValueBytes);
      const origin = new ResilientOrigin<unknown>(
        {
          id: spec.id,
          fetch,
          timeoutMs: spec.timeoutMs,
          retries: spec.retries,
          prefetchRetries: spec.prefetchRetries,
          backoff: { baseMs: 50, maxMs: 200, jitter: 'full' },
          breaker: { failureThreshold: spec.breaker.failureThreshold, openMs: spec.breaker.openMs },
          maxPrefetchConcurrency: spec.maxPrefetchConcurrency,
        },
        deps,
      );
      this.registry.register(pattern.registryPattern, origin);
      if (spec.ttlMs !== null) this.ttl.set(pattern.registryPattern, spec.ttlMs);
      return { spec, pattern, origin };
    });
    for (const r of c.requirements) this.declared.declare(r.pattern, r.keys);
    this.resolver = new RequirementResolver(this.declared, this.learned);
    this.node = new PredictiveCache<unknown>({
      cache: this.cache,
      origins: this.registry,
      requirements: this.resolver,
      clock,
      predictor: c.prefetch ? (this.predictor as ActionPredictor) : undefined,
      learned: this.learned,
      protection,
      liveSessionMs: c.liveSessionMs,
      notFoundTtlMs: c.notFoundTtlMs,
      ttlByPattern: Object.fromEntries(this.origins.filter((o) => o.spec.ttlMs !== null).map((o) => [o.pattern.registryPattern, o.spec.ttlMs!])),
    });
  }

  /** updateProfile: after `action` was committed for the session; plans and queues prefetches. */
  recordAction(sessionId: string, action: string, context: Context): PrefetchPlan | undefined {
    if (this.stopped) return undefined;
    const plan = this.node.recordAction(sessionId, action, context);
    if (plan.skipped.length > 0) this.logger.debug({ sessionId, action, skipped: plan.skipped }, 'requirement templates skipped');
    if (this.config.cache.prefetch && this.config.cache.warmCurrentAction) this.warm(sessionId, action, context);
    return plan;
  }

  /** Explicit prefetch (P9). */
  prefetch(sessionId: string, action: string, context: Context): PrefetchPlan {
    try {
      return this.node.prefetch(sessionId, action, context);
    } catch (error) {
      throw toForesightError(error);
    }
  }

  /**
   * getWithPrediction (P9): the value and where it came from, then the session's prefetch plan is
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
        this.node.replan(sessionId, context);
      } catch (error) {
        this.logger.warn({ err: error, sessionId }, 'prefetch planning after a read failed');
      }
    }
    return reply;
  }

  /**
   * Drops keys (an origin announced a change); returns how many were cached. A key whose load is in
   * flight is dropped again when that load lands, since it may carry the value from before the change.
   */
  invalidate(target: { keys?: readonly string[]; pattern?: string }): number {
    this.counters.invalidations++;
    let n = 0;
    for (const k of target.keys ?? []) {
      if (this.node.invalidate(k)) n++;
      if (this.node.scheduler.isInFlight(k)) this.dropWhenLanded(k);
    }
    if (target.pattern !== undefined) {
      const p = new KeyPattern(target.pattern);
      n += this.cache.deleteWhere((k) => p.matches(k));
    }
    return n;
  }

  endSession(sessionId: string): void {
    this.node.endSession(sessionId);
  }

  /** Installs (or, with null, removes) the local next-action model; requests in flight keep the one they started with. */
  setModel(version: string | null, predictor: ActionPredictor | null): void {
    this.predictor.swap(version, predictor);
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

  /** A session loaded here from the store (takeover, or back from idle): continue its prediction history. */
  restoreHistory(sessionId: string, actions: readonly string[]): void {
    if (this.stopped || !this.node.restoreHistory(sessionId, actions)) return;
    this.logger.debug({ sessionId, actions: actions.length }, 'prediction history restored from the session state');
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
      originLoads: q.demandLoads + q.prefetchStarted,
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

  /**
   * The action's own keys (declared or learned) are certain to be read next: start loading those
   * not cached on the demand lane, so the read that follows joins the load or finds the value.
   */
  private warm(sessionId: string, action: string, context: Context): void {
    let keys: readonly string[];
    try {
      keys = this.resolver.resolve(action, context).keys.map((k) => k.key);
    } catch {
      return;
    }
    for (const key of keys) {
      if (this.cache.has(key) || this.node.scheduler.isInFlight(key) || this.registry.find(key) === undefined) continue;
      const { promise } = this.node.scheduler.demand(key);
      this.counters.warmed++;
      promise.then(
        (res) => {
          if (!this.cache.has(key)) this.cache.set(key, res.value, res.size, { prefetched: true, ttlMs: this.ttl.match(key) });
        },
        (error: unknown) => {
          this.counters.warmFailed++;
          this.logger.debug({ err: error, sessionId, key }, 'warming a key failed');
        },
      );
    }
  }

  private dropWhenLanded(key: string): void {
    // Longest a load can take: every origin's timeout × attempts, plus back-off; polled, since the
    // scheduler has no completion hook. Dropping a value loaded after the change too costs one miss.
    const deadline = this.clock.now() + 10_000;
    const tick = () => {
      if (this.node.scheduler.isInFlight(key) && this.clock.now() < deadline) setTimeout(tick, 10).unref();
      else this.node.invalidate(key);
    };
    setTimeout(tick, 10).unref();
  }

  private checkServed(key: string): void {
    const o = this.registry.find(key);
    if (o === undefined) throw new ForesightError(ErrorCodes.ORIGIN_NOT_FOUND, `No origin is configured for key "${key.slice(0, 80)}" (FORESIGHT_ORIGINS).`);
    const reg = this.origins.find((r) => r.origin === o);
    if (reg && reg.pattern.match(key) === undefined) {
      throw new ForesightError(ErrorCodes.ORIGIN_NOT_FOUND, `Key "${key.slice(0, 80)}" does not fit the pattern ${reg.spec.pattern} of origin "${reg.spec.id}".`);
    }
  }
}
