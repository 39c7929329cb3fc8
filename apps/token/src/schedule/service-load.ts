import {
  accessTokenLifetime,
  DEFAULT_MIN_PEAK_UTILISATION,
  DEFAULT_PEAK_RATIO,
  DEFAULT_PEAK_UTILISATION,
  HoltWinters,
  LoadBaseline,
  peakPredicted,
  utilisation,
  type LifetimeConfig,
} from '@foresight/token-core';
import type { TokenOrigin } from '@foresight/contracts';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** What the process used since the previous reading. */
export interface ProcessReading {
  readonly cpuMicros: number;
  readonly eventLoopDelayP99Ms: number;
}

/** One bucket of the service's load, as the dashboard shows it. */
export interface LoadPoint {
  /** Start of the bucket, epoch ms. */
  readonly at: number;
  /** Measured utilisation (CPU share of one core or event-loop delay share, whichever is larger). */
  readonly utilisation: number;
  /** What the forecast said for this bucket one bucket earlier (null before the first forecast). */
  readonly forecast: number | null;
  /** Pairs minted in the bucket, by origin: sign-ins, client refreshes, scheduled refreshes. */
  readonly issued: number;
  readonly clientRefreshes: number;
  readonly scheduledRefreshes: number;
  /** Whether a peak was predicted at the end of the bucket (tokens then issued longer). */
  readonly peak: boolean;
}

const HISTORY = 360;
/** Holt-Winters weights of the utilisation series (slow level, seasonal shape). */
const WEIGHTS = { alpha: 0.1, beta: 0.001, gamma: 0.2 } as const;
/** Smoothing of the short-term level, the forecast until Holt-Winters has seen two seasons. */
const LEVEL_ALPHA = 0.2;

/** Reads `process.cpuUsage` and a `monitorEventLoopDelay` histogram, each since the previous call. */
export function processReader(): { read: () => ProcessReading; stop: () => void } {
  const delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  let last = process.cpuUsage();
  return {
    read: () => {
      const cpu = process.cpuUsage(last);
      last = process.cpuUsage();
      const p99 = delay.count > 0 ? delay.percentile(99) / 1e6 : 0;
      delay.reset();
      return { cpuMicros: cpu.user + cpu.system, eventLoopDelayP99Ms: p99 };
    },
    stop: () => delay.disable(),
  };
}

/**
 * The token service's own load, measured once per scheduler bucket from its real CPU time and
 * event-loop delay, forecast with Holt-Winters over a season, and judged against its long-run
 * mean and an absolute utilisation bound (token-core's `peakPredicted`). While a peak is
 * predicted within one access-token lifetime, new access tokens live longer, within
 * `TOKEN_MAX_ACCESS_TTL_MS` (token-core's `accessTokenLifetime`): fewer refreshes fall into the
 * peak. Each instance judges its own load; the history feeds the dashboard's token panel.
 */
export class ServiceLoad {
  private readonly model: HoltWinters;
  private readonly baseline = new LoadBaseline();
  private readonly lifetime: LifetimeConfig;
  private readonly points: LoadPoint[] = [];
  private bucketStart: number;
  private counts = { issue: 0, client: 0, scheduled: 0 };
  private nextForecast: number | null = null;
  private peak = false;
  private level: number | null = null;
  /** Access tokens issued longer than the base lifetime. */
  extendedTokens = 0;

  constructor(
    readonly bucketMs: number,
    seasonMs: number,
    ttl: { baseTtlMs: number; maxTtlMs: number },
    now: number,
  ) {
    this.model = new HoltWinters({ ...WEIGHTS, period: Math.max(2, Math.round(seasonMs / bucketMs)) });
    this.lifetime = { ...ttl, peakRatio: DEFAULT_PEAK_RATIO, peakUtilisation: DEFAULT_PEAK_UTILISATION, minPeakUtilisation: DEFAULT_MIN_PEAK_UTILISATION };
    this.bucketStart = now;
  }

  /** A pair was minted (any origin). */
  countMint(origin: TokenOrigin): void {
    this.counts[origin]++;
  }

  /** Closes the current bucket with what the process used in it, and re-forecasts. */
  sample(now: number, reading: ProcessReading): LoadPoint {
    const u = utilisation({ cpuMicros: reading.cpuMicros, wallMs: Math.max(1, now - this.bucketStart), eventLoopDelayP99Ms: reading.eventLoopDelayP99Ms });
    this.model.update(u);
    this.baseline.observe(u);
    const horizon = Math.max(1, Math.ceil(this.lifetime.baseTtlMs / this.bucketMs));
    const forecast = this.model.forecast(horizon);
    this.level = this.level === null ? u : LEVEL_ALPHA * u + (1 - LEVEL_ALPHA) * this.level;
    // Until the seasonal model is initialised, a smoothed level (not one noisy bucket) is the forecast.
    this.peak = peakPredicted(this.model.initialised ? forecast : [this.level], this.baseline.mean, this.lifetime, true);
    const point: LoadPoint = {
      at: this.bucketStart,
      utilisation: u,
      forecast: this.nextForecast,
      issued: this.counts.issue,
      clientRefreshes: this.counts.client,
      scheduledRefreshes: this.counts.scheduled,
      peak: this.peak,
    };
    this.points.push(point);
    if (this.points.length > HISTORY) this.points.shift();
    this.nextForecast = forecast[0] ?? null;
    this.counts = { issue: 0, client: 0, scheduled: 0 };
    this.bucketStart = now;
    return point;
  }

  /** Whether a peak is predicted now. */
  get peakPredicted(): boolean {
    return this.peak;
  }

  /** Lifetime of an access token issued now. */
  accessTtl(now: number): number {
    const ttl = accessTokenLifetime({ now, peak: this.peak }, this.lifetime);
    if (ttl > this.lifetime.baseTtlMs) this.extendedTokens++;
    return ttl;
  }

  /** The recent buckets, oldest first, and the lifetime settings. */
  history(): { points: readonly LoadPoint[]; baseTtlMs: number; maxTtlMs: number; extendedTokens: number; peakPredicted: boolean } {
    return {
      points: [...this.points],
      baseTtlMs: this.lifetime.baseTtlMs,
      maxTtlMs: this.lifetime.maxTtlMs,
      extendedTokens: this.extendedTokens,
      peakPredicted: this.peak,
    };
  }
}
