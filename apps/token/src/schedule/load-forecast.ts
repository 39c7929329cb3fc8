import { HoltWinters, type HoltWintersParams } from '@foresight/token-core';

/** Holt-Winters weights used on the token service's own work (as in bench:tokens). */
const LOAD_MODEL_WEIGHTS = { alpha: 0.05, beta: 0.001, gamma: 0.2 } as const;

/**
 * Forecast of the token service's unscheduled work (sign-ins and client refreshes, i.e. pairs it
 * must mint on demand) per scheduler bucket, with token-core's additive Holt-Winters. Buckets are
 * absolute (`floor(epochMs / bucketMs)`), fed in order; a bucket with no count is a zero.
 */
export class LoadForecast {
  private readonly model: HoltWinters;
  private next: number | undefined;

  constructor(
    readonly bucketMs: number,
    seasonMs: number,
    weights: Omit<HoltWintersParams, 'period'> = LOAD_MODEL_WEIGHTS,
  ) {
    this.model = new HoltWinters({ ...weights, period: Math.max(2, Math.round(seasonMs / bucketMs)) });
  }

  get period(): number {
    return this.model.params.period;
  }

  bucketOf(t: number): number {
    return Math.floor(t / this.bucketMs);
  }

  /** The first bucket not fed yet (undefined before the first feed). */
  get nextBucket(): number | undefined {
    return this.next;
  }

  /** Feeds completed buckets [from, to) with their counts (missing buckets count as 0). */
  feed(from: number, to: number, counts: ReadonlyMap<number, number>): void {
    const start = this.next === undefined ? from : Math.max(from, this.next);
    for (let b = start; b < to; b++) this.model.update(counts.get(b) ?? 0);
    if (to > (this.next ?? -Infinity)) this.next = to;
  }

  /**
   * Forecast work for the next `horizon` buckets starting with the current one, in whole pairs
   * (never negative). Rounding matters: the planner moves a refresh to a strictly quieter bucket,
   * and unrounded forecasts differ by a fraction of a pair between any two buckets (the trend term
   * alone makes them monotonic), which would pull every refresh to the start of its window.
   */
  forecast(horizon: number): number[] {
    return this.model.forecast(horizon).map((x) => Math.max(0, Math.round(x)));
  }
}
