import {
  accessTokenLifetime,
  HoltWinters,
  LoadBaseline,
  observeRequest,
  peakPredicted,
  planRefreshes,
  probabilityNeedsPush,
  decideRenewal,
  planDecidingOnce,
  PushLedger,
  ReturnModel,
  type ActivityState,
  type HoltWintersParams,
  type LifetimeConfig,
  type PlanEntry,
  type SchedulerConfig,
} from '@foresight/token-core';

export interface ForesightOptions {
  readonly scheduler: SchedulerConfig;
  readonly idleTimeoutMs: number;
  /** Holt-Winters weights; `period` = season length in scheduler buckets. */
  readonly loadModel: HoltWintersParams;
  /** Longer-lived tokens in a predicted peak (`maxTtlMs = baseTtlMs` turns them off). */
  readonly lifetime: LifetimeConfig;
  /** Start of bucket 0 (the replay origin). */
  readonly origin: number;
  /** Requests renew tokens close to expiry on use: plan pushes only for returns after the expiry. */
  readonly renewOnUse: boolean;
  /**
   * Decide once per token and calibrate ratings by the outcomes of past decisions (the push
   * ledger); false re-rates every round on the raw rating (the earlier behaviour, for comparison).
   */
  readonly ledger: boolean;
  /** Renewal on use is gated like a push (with the ledger); otherwise a request in the window always renews. */
  readonly gateRenewal: boolean;
}

/**
 * Server side of Foresight's policy in the simulation: keeps each session's activity state, the
 * return model learned from the gaps and ends observed so far, a Holt-Winters forecast of the
 * token service's unscheduled work (sign-ins and on-request refreshes) for the planner, and one of
 * all its work for peak detection; asks the token-core scheduler what to refresh at each tick and
 * token-core's lifetime rule how long each new access token lives. Everything it learns comes from
 * the past only.
 */
export class ForesightDriver {
  private readonly activity = new Map<string, ActivityState>();
  private readonly returns = new ReturnModel();
  /** Push decisions, one per token, and their outcomes. */
  readonly ledger = new PushLedger();
  private readonly loadModel: HoltWinters;
  private readonly workModel: HoltWinters;
  private readonly workBaseline = new LoadBaseline();
  /** The most recent buckets of work: the persistence forecast until Holt-Winters has two seasons. */
  private readonly recentWork: number[] = [];
  private readonly pendingLoad = new Map<number, number>();
  private readonly pendingWork = new Map<number, number>();
  private nextBucketToFeed = 0;
  /** Tokens issued longer than the base lifetime because a peak was predicted. */
  extendedTokens = 0;

  constructor(private readonly opts: ForesightOptions) {
    this.loadModel = new HoltWinters(opts.loadModel);
    this.workModel = new HoltWinters(opts.loadModel);
  }

  /** The server saw a request of the session. */
  onRequest(sessionId: string, at: number): void {
    this.ledger.observeRequest(sessionId, at);
    const prev = this.activity.get(sessionId);
    if (prev) this.returns.observeGap(prev.requests, prev.lastAt - prev.firstAt, at - prev.lastAt);
    this.activity.set(sessionId, observeRequest(prev, at));
  }

  /** The session's idle timeout passed. */
  onSessionEnd(sessionId: string): void {
    const state = this.activity.get(sessionId);
    this.activity.delete(sessionId);
    this.ledger.observeEnd(sessionId);
    if (state) this.returns.observeEnd(state.requests, state.lastAt - state.firstAt);
  }

  /** One unit of token-service work that Foresight does not schedule (sign-in, on-request refresh). */
  onLoad(at: number): void {
    this.add(this.pendingLoad, at);
    this.add(this.pendingWork, at);
  }

  /** One unit of work Foresight scheduled itself (a pushed refresh): counts towards peaks only. */
  onScheduledWork(at: number): void {
    this.add(this.pendingWork, at);
  }

  /**
   * Lifetime of the access token about to be issued to a session at `now`: longer when a peak of
   * the service's work is forecast within one base lifetime (when this token's refresh would fall).
   */
  accessTtl(sessionId: string, now: number): number {
    this.feed(now);
    const c = this.opts.lifetime;
    if (c.maxTtlMs <= c.baseTtlMs) return c.baseTtlMs;
    const horizon = Math.ceil(c.baseTtlMs / this.opts.scheduler.bucketMs);
    const forecast = this.workModel.initialised ? this.workModel.forecast(horizon) : this.recentWork.slice(-horizon);
    const peak = peakPredicted(forecast, this.workBaseline.mean, c);
    const state = this.activity.get(sessionId);
    const ttl = accessTokenLifetime({ now, peak, sessionIdleEndsAt: (state?.lastAt ?? now) + this.opts.idleTimeoutMs }, c);
    if (ttl > c.baseTtlMs) this.extendedTokens++;
    return ttl;
  }

  /** Plans the live sessions (id → current access-token expiry) at `now`, a bucket boundary. */
  plan(now: number, sessions: ReadonlyMap<string, number>): PlanEntry[] {
    this.feed(now);
    const c = this.opts.scheduler;
    const horizon = Math.ceil((c.thresholdMs + c.maxPullForwardMs) / c.bucketMs) + 1;
    // Whole pairs, as the token service does (apps/token/src/schedule/load-forecast.ts): sub-unit
    // differences between buckets would otherwise order the planner's choices.
    const loadForecast = this.loadModel.forecast(horizon).map((x) => Math.max(0, Math.round(x)));
    const rated = [...sessions].map(([sessionId, expiresAt]) => {
      const state = this.activity.get(sessionId)!;
      const rating = probabilityNeedsPush(this.returns, state, now, expiresAt, this.opts.idleTimeoutMs, this.opts.renewOnUse);
      return { sessionId, expiresAt, rating, idleEndsAt: state.lastAt + this.opts.idleTimeoutMs };
    });
    if (this.opts.ledger) return planDecidingOnce(this.ledger, { now, sessions: rated, loadForecast, config: c });
    const toPlan = rated.map((s) => ({ sessionId: s.sessionId, expiresAt: s.expiresAt, pActiveAfterExpiry: s.rating }));
    return planRefreshes({ now, sessions: toPlan, loadForecast, config: c });
  }

  /**
   * Renewal on use: a request at `now` found its token (expiring at `expiresAt`) within the window.
   * Renews when the session is rated likely to come back after the expiry (calibrated, as a push);
   * a request before the expiry would be asked again. Without the gate: always, as the token service does.
   */
  renewOnUse(sessionId: string, now: number, expiresAt: number): boolean {
    if (!this.opts.ledger || !this.opts.gateRenewal) return true;
    const state = this.activity.get(sessionId)!;
    const rating = probabilityNeedsPush(this.returns, state, now, expiresAt, this.opts.idleTimeoutMs, true);
    return decideRenewal(
      this.ledger,
      { sessionId, expiresAt, rating, idleEndsAt: state.lastAt + this.opts.idleTimeoutMs },
      this.opts.scheduler.activeProbability,
    );
  }

  /** Feeds every completed bucket before `now` to both forecasts. */
  private feed(now: number): void {
    const current = this.bucket(now);
    for (; this.nextBucketToFeed < current; this.nextBucketToFeed++) {
      const b = this.nextBucketToFeed;
      this.loadModel.update(this.pendingLoad.get(b) ?? 0);
      const work = this.pendingWork.get(b) ?? 0;
      this.workModel.update(work);
      this.workBaseline.observe(work);
      this.recentWork.push(work);
      if (this.recentWork.length > 2 * Math.ceil(this.opts.lifetime.baseTtlMs / this.opts.scheduler.bucketMs)) this.recentWork.shift();
      this.pendingLoad.delete(b);
      this.pendingWork.delete(b);
    }
  }

  private add(m: Map<number, number>, at: number): void {
    const b = this.bucket(at);
    m.set(b, (m.get(b) ?? 0) + 1);
  }

  private bucket(t: number): number {
    return Math.floor((t - this.opts.origin) / this.opts.scheduler.bucketMs);
  }
}
