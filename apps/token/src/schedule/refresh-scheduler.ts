import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import type { AdvisoryLeadership } from '@foresight/persistence';
import type { Clock } from '@foresight/time';
import { planDecidingOnce, type PlanEntry, type PushLedger, type ReturnModel, type SchedulerConfig } from '@foresight/token-core';
import { randomUUID } from 'node:crypto';
import { LoadForecast } from './load-forecast';
import { toRatedSessions } from './plan-input';
import type { SchedulerRepository } from './scheduler.repository';

export interface RefreshSchedulerDeps {
  /** Leadership among token instances: only the leader plans (stopped with the scheduler). */
  readonly leader: Pick<AdvisoryLeadership, 'isLeader' | 'tryAcquire' | 'stop'>;
  readonly repo: SchedulerRepository;
  readonly rotateAhead: (familyId: string, expectedGeneration: number, ctx: { correlationId: string; causationId: string }) => Promise<boolean>;
  readonly population: ReturnModel;
  /** Push decisions, one per token, calibrated by their outcomes. */
  readonly pushes: PushLedger;
  /** Settles pending push decisions from the sessions' activity (run at the start of each round). */
  readonly settle?: (now: number) => Promise<void>;
  readonly clock: Clock;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  /** Periodic housekeeping the leader runs besides planning (outbox sweep, key rotation, clean-up). */
  readonly housekeeping: (now: number) => Promise<void>;
  readonly onTick?: (report: TickReport) => void;
}

/** What one planning round did. */
export interface TickReport {
  readonly candidates: number;
  readonly refreshed: number;
  readonly letExpire: number;
  readonly later: number;
  readonly forecastNow: number;
}

/** token-core scheduler settings from the configuration. */
function schedulerConfig(c: ForesightConfig['token']): SchedulerConfig {
  return {
    bucketMs: c.schedulerBucketMs,
    thresholdMs: c.refreshThresholdMs,
    minSkewMs: c.refreshMinSkewMs,
    maxPullForwardMs: c.maxPullForwardMs,
    activeProbability: c.activeProbability,
    maxLoadPerBucket: (c.maxRefreshesPerSecond * c.schedulerBucketMs) / 1000,
  };
}

/**
 * The predictive refresh, run by the leader instance once per bucket: families whose
 * access token expires soon are rated by their session's activity forecast, the rating calibrated
 * by the outcomes of past decisions, and placed by token-core's `planRefreshes` against a
 * Holt-Winters forecast of the service's unscheduled work. Each token is decided once
 * (`planDecidingOnce`): pushed when due, or let expire at the last round before its floor, and
 * never re-rated after that; a decided token has no entry in the round's plan.
 * Those due now get their next pair minted off the request path (`rotateAhead`), which notifies
 * the gateways for push delivery. The floor (`minSkew`) is the planner's: never later than that.
 */
export class RefreshScheduler {
  private readonly forecast: LoadForecast;
  private readonly plannerConfig: SchedulerConfig;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private lastHousekeeping = 0;

  constructor(private readonly deps: RefreshSchedulerDeps) {
    const t = deps.config.token;
    this.forecast = new LoadForecast(t.schedulerBucketMs, t.loadSeasonMs);
    this.plannerConfig = schedulerConfig(t);
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.running = this.safeTick().finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(loop, this.deps.leader.isLeader ? this.plannerConfig.bucketMs : 1000);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.deps.leader.stop();
  }

  private async safeTick(): Promise<void> {
    try {
      if (!(await this.deps.leader.tryAcquire())) return;
      const report = await this.tick();
      this.deps.onTick?.(report);
      const now = this.deps.clock.now();
      if (now - this.lastHousekeeping >= 1000) {
        this.lastHousekeeping = now;
        await this.deps.housekeeping(now);
      }
    } catch (error) {
      this.deps.logger.error({ err: error }, 'refresh scheduling round failed');
    }
  }

  /** One planning round (leader only). */
  async tick(): Promise<TickReport> {
    const c = this.plannerConfig;
    const now = this.deps.clock.now();
    const current = this.forecast.bucketOf(now);
    const from = this.forecast.nextBucket ?? current - 2 * this.forecast.period;
    if (from < current) this.forecast.feed(from, current, await this.deps.repo.unscheduledLoad(from, current, c.bucketMs));
    const horizon = Math.ceil((c.thresholdMs + c.maxPullForwardMs) / c.bucketMs) + 1;
    const loadForecast = this.forecast.forecast(horizon);
    await this.deps.settle?.(now);
    const candidates = await this.deps.repo.candidates(now, now + c.thresholdMs + c.maxPullForwardMs + c.bucketMs, this.deps.config.session.idleTimeoutMs);
    // A session seen since its token was decided settles that decision now, so a token let expire
    // at its floor is rated again this round when its session turns out to be active after all.
    for (const x of candidates) if (x.activity) this.deps.pushes.observeLatest(x.familyId, x.activity.lastAt);
    const plan = planDecidingOnce(this.deps.pushes, { now, sessions: toRatedSessions(candidates, now, this.deps.population), loadForecast, config: c });
    const generation = new Map(candidates.map((x) => [x.familyId, x.generation]));
    const due = plan.filter((e): e is PlanEntry & { action: 'refresh-now' } => e.action === 'refresh-now');
    let refreshed = 0;
    await runLimited(due, 4, async (e) => {
      try {
        if (await this.deps.rotateAhead(e.sessionId, generation.get(e.sessionId)!, { correlationId: randomUUID(), causationId: 'token-scheduler' }))
          refreshed++;
      } catch (error) {
        this.deps.logger.warn({ err: error, familyId: e.sessionId }, 'pre-minting a pair failed; the next round retries');
      }
    });
    return {
      candidates: candidates.length,
      refreshed,
      letExpire: plan.filter((e) => e.action === 'let-expire').length,
      later: plan.filter((e) => e.action === 'refresh-later').length,
      forecastNow: loadForecast[0] ?? 0,
    };
  }
}

async function runLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
