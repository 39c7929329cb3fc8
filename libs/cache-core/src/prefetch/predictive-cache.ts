import type { Clock } from '@foresight/time';
import { CacheError, isCacheError, requireInt, requireNumber } from '../errors';
import type { ProtectionTable } from '../eviction/protection-table';
import { PatternTable, requireKey } from '../keys';
import type { OriginRegistry } from '../origin/origin-registry';
import type { LearnedRequirements } from '../requirements/learned';
import type { RequirementResolver } from '../requirements/resolver';
import type { SkippedTemplate } from '../requirements/template';
import type { ByteCache } from '../store/byte-cache';
import { FetchScheduler, type PrefetchRequest } from './fetch-scheduler';
import { PrefetchPlanner, type PlannedKey, type PlannerOptions } from './planner';
import type { ActionPredictor } from './predictor';
import { prefetchPriority } from './priority';
import { SessionState, type SessionStats } from './session-state';

/** At most this many keys are remembered as absent (the oldest are forgotten first). */
const MAX_ABSENT_KEYS = 10_000;

/** Options of {@link PredictiveCache}. */
export interface PredictiveCacheOptions<V> {
  readonly cache: ByteCache<V>;
  readonly origins: OriginRegistry<V>;
  readonly requirements: RequirementResolver;
  readonly clock: Clock;
  /** Next-action model; without one the node only caches. */
  readonly predictor?: ActionPredictor;
  readonly planner?: PlannerOptions;
  /** Feed `predictor.observe` with every recorded action (default false: the model is trained elsewhere). */
  readonly learnOnline?: boolean;
  /** Fed with every read, to learn requirements nobody declared. */
  readonly learned?: LearnedRequirements;
  /** The eviction scorer's table of predicted keys (Foresight policy); omitted with LRU/LFU. */
  readonly protection?: ProtectionTable;
  /** Requests of the session during which a predicted key stays protected (default 10). */
  readonly protectSteps?: number;
  /** TTL in ms by key pattern (most specific wins). */
  readonly ttlByPattern?: Readonly<Record<string, number>>;
  /** A session not seen for this long is forgotten (default 30 min). */
  readonly sessionIdleMs?: number;
  /** A session not seen for this long stops protecting its predicted keys (default 60 s). */
  readonly liveSessionMs?: number;
  /**
   * Share of the cache budget that the predicted keys of all live sessions may take together
   * (default 0.75; Infinity = unbounded). Each live session gets an equal slice; its most likely keys
   * are protected and prefetched until the slice is used. Without it, many sessions or a small cache
   * make prefetches evict each other before they are read.
   */
  readonly prefetchBudgetShare?: number;
  /**
   * When a session's predicted keys exceed its slice, older predictions count for `p × ageDecay^age`
   * (age in the session's requests) and the least valuable are dropped (default 0.7).
   */
  readonly protectionAgeDecay?: number;
  /**
   * How long a key its origin does not have (`DATA.NOT_FOUND`) is remembered as absent: reads within it
   * get the same error without asking the origin, and it is not prefetched (default 5,000 ms; 0 = off).
   * Invalidating the key forgets it at once.
   */
  readonly notFoundTtlMs?: number;
  /** Size assumed for a key never loaded before (default 1,024 bytes). */
  readonly defaultSizeBytes?: number;
  /** Passed to the scheduler. */
  readonly maxQueuedPerOwner?: number;
  readonly abortStalePrefetches?: boolean;
}

/** Result of a read. */
export interface GetResult<V> {
  readonly value: V;
  /** `cache`: no wait; `inflight`: joined a load already running; `origin`: loaded on demand. */
  readonly source: 'cache' | 'inflight' | 'origin';
  /** The value was in the cache thanks to a prefetch (first read of a prefetched entry). */
  readonly prefetched: boolean;
  /** Time spent waiting for the origin, ms. */
  readonly waitedMs: number;
}

/** What one recorded action planned. */
export interface PrefetchPlan {
  readonly planned: readonly PlannedKey[];
  /** Keys sent to the prefetch queue (not resident, not already loading). */
  readonly queued: readonly string[];
  readonly skipped: readonly SkippedTemplate[];
}

/**
 * The node-side API of predictive caching: `recordAction` (= updateProfile) asks the model for
 * the next actions, maps them to keys through declared and learned requirements, protects those
 * keys from eviction and queues prefetches for the missing ones; `get` (= getWithPrediction) serves a
 * key from the cache, from a load in flight or from its origin; `prefetch` queues an explicit action.
 */
export class PredictiveCache<V> {
  readonly scheduler: FetchScheduler<V>;
  private readonly sessions = new Map<string, SessionState>();
  private readonly planner: PrefetchPlanner | undefined;
  private readonly ttl = new PatternTable<number>();
  private readonly sizes = new Map<string, number>();
  private readonly protectSteps: number;
  private readonly idleMs: number;
  private readonly defaultSize: number;
  private readonly liveMs: number;
  private readonly budgetShare: number;
  private readonly ageDecay: number;
  private lastSweep = 0;
  private lastLiveSweep = 0;
  /** Keys the origin said do not exist, until when (insertion order = expiry order: one TTL). */
  private readonly absent = new Map<string, number>();
  private readonly notFoundTtl: number;

  constructor(private readonly o: PredictiveCacheOptions<V>) {
    this.planner = o.predictor ? new PrefetchPlanner(o.predictor, o.planner) : undefined;
    this.protectSteps = requireInt('protectSteps', o.protectSteps ?? 10, 0);
    this.idleMs = requireNumber('sessionIdleMs', o.sessionIdleMs ?? 30 * 60_000, 1);
    this.defaultSize = requireInt('defaultSizeBytes', o.defaultSizeBytes ?? 1024, 0);
    this.liveMs = requireNumber('liveSessionMs', o.liveSessionMs ?? 60_000, 1);
    this.budgetShare = requireNumber('prefetchBudgetShare', o.prefetchBudgetShare ?? 0.75, 0);
    this.ageDecay = requireNumber('protectionAgeDecay', o.protectionAgeDecay ?? 0.7, 0, 1);
    this.notFoundTtl = requireNumber('notFoundTtlMs', o.notFoundTtlMs ?? 5_000, 0);
    for (const [pattern, ms] of Object.entries(o.ttlByPattern ?? {})) this.ttl.set(pattern, requireNumber(`ttl of ${pattern}`, ms, 0));
    this.scheduler = new FetchScheduler<V>({
      origins: o.origins,
      maxQueuedPerOwner: o.maxQueuedPerOwner,
      abortStale: o.abortStalePrefetches,
      onPrefetched: (key, res) => {
        this.rememberSize(key, res.size);
        if (!this.o.cache.has(key)) this.o.cache.set(key, res.value, res.size, { prefetched: true, ttlMs: this.ttl.match(key) });
      },
      onPrefetchFailed: (key, error) => {
        if (isCacheError(error, 'DATA.NOT_FOUND')) this.rememberAbsent(key);
      },
    });
  }

  /** updateProfile: records that `sessionId` performed `action`, then plans and queues prefetches. */
  recordAction(sessionId: string, action: string, context: Readonly<Record<string, string | number | undefined>> = {}): PrefetchPlan {
    const now = this.o.clock.now();
    this.sweep(now);
    const s = this.session(sessionId, now);
    const before = s.push(action, now);
    if (this.o.learnOnline && before.length > 0) this.o.predictor?.observe?.(before, action);
    this.o.learned?.onAction(sessionId, action);
    this.o.protection?.advance(sessionId, now);
    return this.plan(sessionId, s, context, now);
  }

  /**
   * Plans again from the session's current history without recording an action (after a read: the
   * read may have taught a requirement, or an earlier prefetch may have been evicted or refused).
   * Keys already cached or queued cost nothing; a session with no action yet plans nothing.
   */
  replan(sessionId: string, context: Readonly<Record<string, string | number | undefined>> = {}): PrefetchPlan {
    const s = this.sessions.get(sessionId);
    if (s === undefined || s.history.length === 0) return { planned: [], queued: [], skipped: [] };
    return this.plan(sessionId, s, context, this.o.clock.now());
  }

  private plan(sessionId: string, s: SessionState, context: Readonly<Record<string, string | number | undefined>>, now: number): PrefetchPlan {
    if (this.planner === undefined) return { planned: [], queued: [], skipped: [] };
    let skipped: SkippedTemplate[] = [];
    const planned = this.planner.plan(s.history, (a) => {
      const r = this.o.requirements.resolve(a, context);
      if (r.skipped.length > 0) skipped = skipped.concat(r.skipped);
      return r.keys;
    });
    return { planned, queued: this.enqueue(sessionId, s, planned, now), skipped };
  }

  /** Explicit prefetch: queues the keys `action` needs for `sessionId`, as if the action were certain. */
  prefetch(sessionId: string, action: string, context: Readonly<Record<string, string | number | undefined>> = {}): PrefetchPlan {
    const now = this.o.clock.now();
    const s = this.session(sessionId, now);
    const r = this.o.requirements.resolve(action, context);
    const planned = r.keys.map((k) => ({ key: k.key, p: k.weight }));
    return { planned, queued: this.enqueue(sessionId, s, planned, now), skipped: r.skipped };
  }

  /** getWithPrediction: the value of `key` for `sessionId`, from the cache or its origin. Rejects with `ORIGIN.*` codes. */
  async get(sessionId: string, key: string): Promise<GetResult<V>> {
    requireKey(key);
    const now = this.o.clock.now();
    const s = this.session(sessionId, now);
    s.stats.requests++;
    this.o.learned?.onRead(sessionId, key);
    const hit = this.o.cache.read(key);
    if (hit !== undefined) {
      s.stats.hits++;
      if (hit.prefetchUsed) s.stats.prefetchUsed++;
      return { value: hit.value, source: 'cache', prefetched: hit.prefetchUsed, waitedMs: 0 };
    }
    if (this.isAbsent(key, now)) {
      throw new CacheError('DATA.NOT_FOUND', `The origin of "${key}" answered that it does not exist, less than ${this.notFoundTtl} ms ago.`);
    }
    const { promise, joined } = this.scheduler.demand(key);
    if (joined) s.stats.joined++;
    else s.stats.misses++;
    let res;
    try {
      res = await promise;
    } catch (error) {
      if (isCacheError(error, 'DATA.NOT_FOUND')) this.rememberAbsent(key);
      throw error;
    }
    this.rememberSize(key, res.size);
    if (!this.o.cache.has(key)) this.o.cache.set(key, res.value, res.size, { ttlMs: this.ttl.match(key) });
    return { value: res.value, source: joined ? 'inflight' : 'origin', prefetched: false, waitedMs: this.o.clock.now() - now };
  }

  /** Invalidation: drops `key` (an origin announced a change), also its "does not exist" memory. */
  invalidate(key: string): boolean {
    const wasAbsent = this.absent.delete(key);
    return this.o.cache.delete(key) || wasAbsent;
  }

  /** Keys remembered as absent at their origin right now (for stats). */
  get absentKeys(): number {
    return this.absent.size;
  }

  private isAbsent(key: string, now: number): boolean {
    return (this.absent.get(key) ?? 0) > now;
  }

  private rememberAbsent(key: string): void {
    if (this.notFoundTtl <= 0) return;
    const now = this.o.clock.now();
    this.absent.delete(key); // re-insert at the end: the map stays in expiry order
    this.absent.set(key, now + this.notFoundTtl);
    // Expired entries are at the front; also bound the memory.
    for (const [k, until] of this.absent) {
      if (until > now && this.absent.size <= MAX_ABSENT_KEYS) break;
      this.absent.delete(k);
    }
  }

  /**
   * A session this node has just taken over (failover, rebalance): seeds its history with the
   * actions it recorded elsewhere, so predictions continue where they were. Nothing is planned until
   * its next action or read; a session this node already tracks keeps its own history.
   */
  restoreHistory(sessionId: string, actions: readonly string[]): boolean {
    if (actions.length === 0 || this.sessions.has(sessionId)) return false;
    const s = this.session(sessionId, this.o.clock.now());
    for (const a of actions) s.restore(a);
    return true;
  }

  /** Actions this node knows for the session (most recent last), or an empty list. */
  historyOf(sessionId: string): readonly string[] {
    return this.sessions.get(sessionId)?.history ?? [];
  }

  /** Forgets a session: its queued prefetches and protections go. */
  endSession(sessionId: string): void {
    this.sessions.delete(sessionId);
    this.scheduler.cancelOwner(sessionId);
    this.o.protection?.endSession(sessionId);
    this.o.learned?.endSession(sessionId);
  }

  /** Ends every session (shutdown): nothing stays queued, every protection goes. */
  endAllSessions(): void {
    for (const id of [...this.sessions.keys()]) this.endSession(id);
  }

  /** Counters of one session, or `undefined` when it is not live here. */
  sessionStats(sessionId: string): Readonly<SessionStats> | undefined {
    return this.sessions.get(sessionId)?.stats;
  }

  /** Number of live sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private enqueue(sessionId: string, s: SessionState, planned: readonly PlannedKey[], now: number): string[] {
    const protection = this.o.protection;
    const live = Math.max(1, protection?.sessionCount ?? this.sessions.size);
    const allowance = (this.budgetShare * this.o.cache.budgetBytes) / live;
    const sizeOf = (key: string) => this.sizes.get(key) ?? this.defaultSize;
    const chosen: PlannedKey[] = [];
    let used = 0;
    for (const k of planned) {
      const size = sizeOf(k.key);
      if (used > 0 && used + size > allowance) break;
      used += size;
      chosen.push(k);
      protection?.protect(sessionId, k.key, k.p, this.protectSteps, now);
    }
    if (protection && Number.isFinite(allowance)) protection.trim(sessionId, allowance, sizeOf, this.ageDecay);
    const requests: PrefetchRequest[] = [];
    for (const { key, p } of chosen) {
      // Fetch only what the session still protects, and what the cache would take right now:
      // a prefetch that is trimmed or refused would be fetched again at the next step.
      if (protection && !protection.holds(sessionId, key)) continue;
      const size = sizeOf(key);
      if (this.o.cache.has(key) || !this.o.cache.wouldAdmit(key, size, true)) continue;
      if (this.isAbsent(key, now)) continue;
      const origin = this.o.origins.find(key);
      if (origin === undefined) continue;
      const priority = prefetchPriority({ probability: p, latencyMs: origin.latency.value, sizeBytes: size, timeToNextRequestMs: s.gap.value });
      requests.push({ key, priority });
    }
    s.stats.prefetchRequested += requests.length;
    this.scheduler.schedule(sessionId, requests);
    return requests.map((r) => r.key);
  }

  private session(sessionId: string, now: number): SessionState {
    let s = this.sessions.get(sessionId);
    if (s === undefined) {
      s = new SessionState(now, 16);
      this.sessions.set(sessionId, s);
    }
    s.lastSeen = now;
    return s;
  }

  private rememberSize(key: string, size: number): void {
    this.sizes.delete(key);
    this.sizes.set(key, size);
    if (this.sizes.size > 100_000) this.sizes.delete(this.sizes.keys().next().value!);
  }

  private sweep(now: number): void {
    if (this.o.protection && now - this.lastLiveSweep >= Math.min(this.liveMs / 4, 1000)) {
      this.lastLiveSweep = now;
      this.o.protection.sweepIdle(now, this.liveMs);
    }
    if (now - this.lastSweep < Math.min(this.idleMs, 10_000)) return;
    this.lastSweep = now;
    for (const [id, s] of this.sessions) if (now - s.lastSeen > this.idleMs) this.endSession(id);
  }
}
