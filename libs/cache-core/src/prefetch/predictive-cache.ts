import { CacheError, isCacheError, requireInt, requireNumber } from '../errors';
import { PatternTable, requireKey } from '../keys';
import type { SkippedTemplate } from '../requirements/template';
import { AbsentKeys } from './absent-keys';
import { FetchBudgetMeter, type FetchBudgetStats } from './budget-meter';
import { FetchScheduler, type PrefetchRequest } from './fetch-scheduler';
import { PrefetchPlanner, type PlannedKey } from './planner';
import type { GetResult, PredictiveCacheOptions, PrefetchPlan } from './predictive-cache-options';
import { prefetchPriority } from './priority';
import { SessionState, type SessionStats } from './session-state';

export type { GetResult, PredictiveCacheOptions, PrefetchPlan } from './predictive-cache-options';

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
  /** Keys the origin said do not exist. */
  private readonly absent: AbsentKeys;
  private readonly budget: FetchBudgetMeter | undefined;
  /** True while a prefetched value is being stored: its evictions are the prefetch's cost. */
  private storingPrefetch = false;
  /** Keys whose prefetch was admitted as marginal and has not been read or left the cache yet. */
  private readonly marginal = new Set<string>();

  constructor(private readonly o: PredictiveCacheOptions<V>) {
    this.planner = o.predictor ? new PrefetchPlanner(o.predictor, o.planner) : undefined;
    this.protectSteps = requireInt('protectSteps', o.protectSteps ?? 10, 0);
    this.idleMs = requireNumber('sessionIdleMs', o.sessionIdleMs ?? 30 * 60_000, 1);
    this.defaultSize = requireInt('defaultSizeBytes', o.defaultSizeBytes ?? 1024, 0);
    this.liveMs = requireNumber('liveSessionMs', o.liveSessionMs ?? 60_000, 1);
    this.budgetShare = requireNumber('prefetchBudgetShare', o.prefetchBudgetShare ?? 0.75, 0);
    this.ageDecay = requireNumber('protectionAgeDecay', o.protectionAgeDecay ?? 0.7, 0, 1);
    this.absent = new AbsentKeys(requireNumber('notFoundTtlMs', o.notFoundTtlMs ?? 5_000, 0));
    for (const [pattern, ms] of Object.entries(o.ttlByPattern ?? {})) this.ttl.set(pattern, requireNumber(`ttl of ${pattern}`, ms, 0));
    this.scheduler = new FetchScheduler<V>({
      origins: o.origins,
      maxQueuedPerOwner: o.maxQueuedPerOwner,
      abortStale: o.abortStalePrefetches,
      // Every load stores its value as it lands (a reader joining it finds it stored), unless its
      // key was invalidated meanwhile.
      store: (key, res, prefetched) => {
        this.rememberSize(key, res.size);
        if (this.o.cache.has(key)) return;
        this.storingPrefetch = prefetched;
        try {
          this.o.cache.set(key, res.value, res.size, { prefetched, ttlMs: this.ttl.match(key) });
        } finally {
          this.storingPrefetch = false;
        }
      },
      onFailed: (key, error) => {
        if (isCacheError(error, 'DATA.NOT_FOUND')) this.absent.remember(key, this.o.clock.now());
      },
    });
    if (this.planner && o.fetchBudget !== undefined && Number.isFinite(o.fetchBudget)) {
      const st = this.scheduler.stats;
      const cs = this.o.cache.stats;
      const meter = new FetchBudgetMeter(
        o.fetchBudget,
        this.planner.minP,
        o.cache.budgetBytes,
        () => ({
          fetches: st.demandLoads + st.warmLoads + st.prefetchStarted,
          used: cs.prefetchUsed + st.demandJoined,
          wasted: cs.prefetchWasted,
        }),
        o.victimMeasure,
        o.budgetJudge,
      );
      this.budget = meter;
      if (o.budgetJudge === 'marginal') {
        o.cache.onRemoval((key, _reason, unusedPrefetch) => {
          if (unusedPrefetch && this.marginal.delete(key)) meter.marginalResolved(false);
        });
      }
      if (o.victimMeasure === 'own' || o.victimMeasure === 'prefetch') {
        o.cache.onRemoval((key, reason, unusedPrefetch) => {
          if (reason === 'evicted') meter.evicted(key, this.sizes.get(key) ?? this.defaultSize, !unusedPrefetch, this.storingPrefetch);
        });
      }
    }
  }

  /** The fetch budget's state, when one is set. */
  get budgetStats(): FetchBudgetStats | undefined {
    return this.budget?.stats;
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
    const plan = this.plan(sessionId, s, context, now);
    if (this.o.warmCurrentAction) this.warm(action, context);
    return plan;
  }

  /**
   * Starts loading the keys `action` itself needs (declared or learned) that are neither cached nor
   * loading, on the demand lane: the read that follows joins the load or finds the value. Returns
   * the keys it started. A template it cannot fill is skipped.
   */
  warm(action: string, context: Readonly<Record<string, string | number | undefined>> = {}): string[] {
    const now = this.o.clock.now();
    const started: string[] = [];
    for (const { key } of this.o.requirements.resolve(action, context).keys) {
      if (this.o.cache.has(key) || this.absent.has(key, now)) continue;
      if (this.scheduler.warm(key)) started.push(key);
    }
    return started;
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
    // Under a budget, the threshold it moved may go below the configured one: plan down to it.
    const minP = this.budget ? Math.min(this.planner.minP, this.budget.threshold) : undefined;
    const planned = this.planner.plan(
      s.history,
      (a) => {
        const r = this.o.requirements.resolve(a, context);
        if (r.skipped.length > 0) skipped = skipped.concat(r.skipped);
        return r.keys;
      },
      minP,
    );
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
    this.budget?.read(key, this.sizes.get(key) ?? this.defaultSize, now, this.ttl.match(key));
    const hit = this.o.cache.read(key);
    if (hit !== undefined) {
      if (hit.prefetchUsed && this.marginal.delete(key)) this.budget?.marginalResolved(true);
      s.stats.hits++;
      if (hit.prefetchUsed) s.stats.prefetchUsed++;
      return { value: hit.value, source: 'cache', prefetched: hit.prefetchUsed, waitedMs: 0 };
    }
    if (this.absent.has(key, now)) {
      throw new CacheError('DATA.NOT_FOUND', `The origin of "${key}" answered that it does not exist, less than ${this.absent.ttlMs} ms ago.`);
    }
    const { promise, joined } = this.scheduler.demand(key);
    if (joined && this.marginal.delete(key)) this.budget?.marginalResolved(true);
    if (joined) s.stats.joined++;
    else s.stats.misses++;
    const res = await promise; // stored by the scheduler as it landed
    return { value: res.value, source: joined ? 'inflight' : 'origin', prefetched: false, waitedMs: this.o.clock.now() - now };
  }

  /**
   * Invalidation (an origin announced a change): drops `key`, its "does not exist" memory, and the
   * value of a load of it in flight, which may predate the change. True when something was dropped.
   */
  invalidate(key: string): boolean {
    const inFlight = this.scheduler.invalidate(key);
    this.budget?.invalidate(key);
    const wasAbsent = this.absent.forget(key);
    return this.o.cache.delete(key) || wasAbsent || inFlight;
  }

  /** {@link invalidate} for every key that `matches`; returns how many values (cached or loading) were dropped. */
  invalidateWhere(matches: (key: string) => boolean): number {
    const inFlight = this.scheduler.invalidateWhere(matches);
    this.budget?.invalidateWhere(matches);
    this.absent.forgetWhere(matches);
    return this.o.cache.deleteWhere(matches) + inFlight;
  }

  /** Resolves when every load of `key` running now has ended and its value was stored or dropped. */
  settled(key: string): Promise<void> {
    return this.scheduler.settled(key);
  }

  /** Keys remembered as absent at their origin right now (for stats). */
  get absentKeys(): number {
    return this.absent.size;
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
    let requests: (PrefetchRequest & { p: number })[] = [];
    for (const { key, p } of chosen) {
      // Fetch only what the session still protects, and what the cache would take right now:
      // a prefetch that is trimmed or refused would be fetched again at the next step.
      if (protection && !protection.holds(sessionId, key)) continue;
      const size = sizeOf(key);
      if (this.o.cache.has(key) || !this.o.cache.wouldAdmit(key, size, true)) continue;
      if (this.absent.has(key, now)) continue;
      const origin = this.o.origins.find(key);
      if (origin === undefined) continue;
      const priority = prefetchPriority({ probability: p, latencyMs: origin.latency.value, sizeBytes: size, timeToNextRequestMs: s.gap.value });
      requests.push({ key, priority, p });
    }
    if (this.budget) {
      const others = this.scheduler.queuedCount - this.scheduler.queuedCountOf(sessionId);
      requests = this.budget.admit(requests, (key) => this.scheduler.isInFlight(key), others);
      if (this.o.budgetJudge === 'marginal') {
        for (const r of requests) {
          if (!this.budget.isMarginal(r.p)) continue;
          this.marginal.add(r.key);
          if (this.marginal.size > 100_000) this.marginal.delete(this.marginal.values().next().value!);
        }
      }
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
