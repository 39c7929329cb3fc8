/** When to issue longer-lived access tokens, and how long. Times in milliseconds. */
export interface LifetimeConfig {
  /** The normal access-token lifetime. */
  readonly baseTtlMs: number;
  /** The longest lifetime ever issued (a security bound: a leaked token lives at most this long). */
  readonly maxTtlMs: number;
  /**
   * A peak is predicted when the forecast load exceeds this multiple of its long-run average
   * (relative: the service's usual level, learned, is the yardstick).
   */
  readonly peakRatio: number;
  /** A peak is also predicted when the forecast utilisation reaches this (1 = the service is saturated). */
  readonly peakUtilisation: number;
  /**
   * Utilisation below this is never a peak, whatever its ratio to the mean: doubling from 2 % to
   * 4 % of a core costs nothing worth a longer-lived token. Work counts (not utilisation) ignore it.
   */
  readonly minPeakUtilisation?: number;
}

export const DEFAULT_PEAK_RATIO = 2;
export const DEFAULT_PEAK_UTILISATION = 0.7;
export const DEFAULT_MIN_PEAK_UTILISATION = 0.25;

/** One measurement of the token service's own load over an interval. */
export interface LoadSample {
  /** CPU time the process used in the interval (user + system), microseconds (`process.cpuUsage`). */
  readonly cpuMicros: number;
  /** Length of the interval, milliseconds. */
  readonly wallMs: number;
  /** 99th percentile event-loop delay in the interval, milliseconds (`monitorEventLoopDelay`). */
  readonly eventLoopDelayP99Ms: number;
}

/**
 * The service's utilisation in an interval: the larger of its CPU share of one core and its
 * event-loop delay as a share of `delayBudgetMs` (the delay at which requests visibly queue).
 * Either saturates first: CPU when signing dominates, the delay when I/O callbacks queue up.
 */
export function utilisation(sample: LoadSample, delayBudgetMs = 100): number {
  if (!(sample.wallMs > 0)) return 0;
  const cpu = sample.cpuMicros / 1000 / sample.wallMs;
  const delay = Math.max(0, sample.eventLoopDelayP99Ms) / delayBudgetMs;
  return Math.max(0, cpu, delay);
}

/**
 * Long-run average of a load series (cumulative mean), the yardstick of "a peak". A cumulative
 * mean rather than a short EWMA: a sustained busy period must not become the new normal within it.
 */
export class LoadBaseline {
  private n = 0;
  private sum = 0;

  observe(load: number): void {
    if (!Number.isFinite(load) || load < 0) return;
    this.n++;
    this.sum += load;
  }

  get mean(): number {
    return this.n === 0 ? 0 : this.sum / this.n;
  }

  get observations(): number {
    return this.n;
  }
}

/**
 * Whether the forecast predicts a peak: some bucket of it reaches `peakRatio` × the long-run
 * mean, or the absolute utilisation bound when the forecast is a utilisation. A flat forecast
 * (the running mean before the seasonal model is initialised) never is one.
 */
export function peakPredicted(
  forecast: readonly number[],
  baselineMean: number,
  c: Pick<LifetimeConfig, 'peakRatio' | 'peakUtilisation' | 'minPeakUtilisation'>,
  isUtilisation = false,
): boolean {
  const top = forecast.reduce((a, b) => Math.max(a, b), 0);
  if (!(top > 0)) return false;
  if (isUtilisation && top >= c.peakUtilisation) return true;
  if (isUtilisation && top < (c.minPeakUtilisation ?? 0)) return false;
  return baselineMean > 0 && top >= c.peakRatio * baselineMean;
}

/**
 * Lifetime of the next access token of a session. Outside a predicted peak: the base lifetime.
 * In one: long enough to reach the session's idle end (a token that outlives its session is never
 * refreshed; one more refresh in the peak is what this avoids), within `maxTtlMs` and never shorter
 * than the base.
 */
export function accessTokenLifetime(input: { now: number; peak: boolean; sessionIdleEndsAt?: number }, c: LifetimeConfig): number {
  if (!input.peak || c.maxTtlMs <= c.baseTtlMs) return c.baseTtlMs;
  const wanted = input.sessionIdleEndsAt === undefined ? c.maxTtlMs : input.sessionIdleEndsAt - input.now;
  return Math.min(c.maxTtlMs, Math.max(c.baseTtlMs, Math.ceil(wanted)));
}
