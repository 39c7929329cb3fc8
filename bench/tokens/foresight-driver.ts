import {
  HoltWinters,
  observeRequest,
  planRefreshes,
  PopulationGapModel,
  probabilityActiveBetween,
  type ActivityState,
  type HoltWintersParams,
  type PlanEntry,
  type SchedulerConfig,
} from '@foresight/token-core';

export interface ForesightOptions {
  readonly scheduler: SchedulerConfig;
  readonly idleTimeoutMs: number;
  /** Holt-Winters weights; `period` = season length in scheduler buckets. */
  readonly loadModel: HoltWintersParams;
  /** Start of bucket 0 (the replay origin). */
  readonly origin: number;
}

/**
 * Server side of Foresight's policy in the simulation: keeps each session's activity state
 * (token-core activity forecaster), the population gap model, and a Holt-Winters forecast of the
 * token service's other work (sign-ins and on-request refreshes), and asks the token-core
 * scheduler what to refresh at each tick. Everything it learns comes from the past only.
 */
export class ForesightDriver {
  private readonly activity = new Map<string, ActivityState>();
  private readonly population = new PopulationGapModel();
  private readonly loadModel: HoltWinters;
  private readonly pendingLoad = new Map<number, number>();
  private nextBucketToFeed = 0;

  constructor(private readonly opts: ForesightOptions) {
    this.loadModel = new HoltWinters(opts.loadModel);
  }

  /** The server saw a request of the session. */
  onRequest(sessionId: string, at: number): void {
    const prev = this.activity.get(sessionId);
    if (prev) this.population.observeGap(at - prev.lastAt);
    this.activity.set(sessionId, observeRequest(prev, at));
  }

  /** The session's idle timeout passed. */
  onSessionEnd(sessionId: string): void {
    this.activity.delete(sessionId);
    this.population.observeSessionEnd();
  }

  /** One unit of token-service work that Foresight does not schedule (sign-in, on-request refresh). */
  onLoad(at: number): void {
    const b = this.bucket(at);
    this.pendingLoad.set(b, (this.pendingLoad.get(b) ?? 0) + 1);
  }

  /** Plans the live sessions (id → current access-token expiry) at `now`, a bucket boundary. */
  plan(now: number, sessions: ReadonlyMap<string, number>): PlanEntry[] {
    const current = this.bucket(now);
    for (; this.nextBucketToFeed < current; this.nextBucketToFeed++) {
      this.loadModel.update(this.pendingLoad.get(this.nextBucketToFeed) ?? 0);
      this.pendingLoad.delete(this.nextBucketToFeed);
    }
    const c = this.opts.scheduler;
    const horizon = Math.ceil((c.thresholdMs + c.maxPullForwardMs) / c.bucketMs) + 1;
    // Whole pairs, as the token service does (apps/token/src/schedule/load-forecast.ts): sub-unit
    // differences between buckets would otherwise order the planner's choices.
    const loadForecast = this.loadModel.forecast(horizon).map((x) => Math.max(0, Math.round(x)));
    const prior = this.population.model();
    const toPlan = [...sessions].map(([sessionId, expiresAt]) => {
      const state = this.activity.get(sessionId)!;
      const sessionEnd = state.lastAt + this.opts.idleTimeoutMs;
      // A token that outlives the idle timeout never needs a refresh: any new request re-plans it.
      const p = expiresAt >= sessionEnd ? 0 : probabilityActiveBetween(state, now, sessionEnd, prior, this.opts.idleTimeoutMs);
      return { sessionId, expiresAt, pActiveAfterExpiry: p };
    });
    return planRefreshes({ now, sessions: toPlan, loadForecast, config: c });
  }

  private bucket(t: number): number {
    return Math.floor((t - this.opts.origin) / this.opts.scheduler.bucketMs);
  }
}
