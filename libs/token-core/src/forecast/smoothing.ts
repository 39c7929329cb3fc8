/**
 * Simple exponential smoothing (ETS(A,N,N)): level_t = α·y_t + (1−α)·level_{t−1}.
 * The forecast for every horizon is the last level.
 */
export class SimpleExponentialSmoothing {
  private levelValue: number | undefined;

  constructor(readonly alpha: number) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError('alpha must be in (0, 1]');
  }

  /** Feeds one observation. */
  update(y: number): void {
    this.levelValue = this.levelValue === undefined ? y : this.alpha * y + (1 - this.alpha) * this.levelValue;
  }

  /** Current level, or `fallback` before the first observation. */
  level(fallback = 0): number {
    return this.levelValue ?? fallback;
  }

  /** Forecast `h` steps ahead (flat). */
  forecast(h: number, fallback = 0): number[] {
    return new Array<number>(Math.max(0, h)).fill(this.level(fallback));
  }
}

/** One-step-ahead fitted values of SES over a series (fitted[i] predicts series[i]). */
export function sesFitted(series: readonly number[], alpha: number): number[] {
  const ses = new SimpleExponentialSmoothing(alpha);
  return series.map((y) => {
    const f = ses.level(y);
    ses.update(y);
    return f;
  });
}
