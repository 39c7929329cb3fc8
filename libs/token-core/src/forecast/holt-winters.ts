/** Smoothing weights and season length of additive Holt-Winters (ETS(A,A,A)). */
export interface HoltWintersParams {
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  /** Observations per season, e.g. 24 for hourly data with a daily cycle. */
  readonly period: number;
}

/**
 * Additive Holt-Winters, online. The first two seasons initialise level, trend and season
 * (classical decomposition); after that every observation updates the state in O(1):
 *   l_t = α(y_t − s_{t−m}) + (1−α)(l_{t−1} + b_{t−1})
 *   b_t = β(l_t − l_{t−1}) + (1−β)b_{t−1}
 *   s_t = γ(y_t − l_{t−1} − b_{t−1}) + (1−γ)s_{t−m}
 * Until it is initialised it forecasts the running mean (a cold-start fallback).
 */
export class HoltWinters {
  private readonly warmup: number[] = [];
  private readonly season: number[];
  private level = 0;
  private trend = 0;
  private count = 0;
  private ready = false;
  private sum = 0;

  constructor(readonly params: HoltWintersParams) {
    const { alpha, beta, gamma, period } = params;
    for (const [name, v] of Object.entries({ alpha, beta, gamma })) {
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1]`);
    }
    if (!Number.isInteger(period) || period < 2) throw new RangeError('period must be an integer ≥ 2');
    this.season = new Array<number>(period).fill(0);
  }

  /** True once two full seasons have been seen. */
  get initialised(): boolean {
    return this.ready;
  }

  /** Number of observations fed so far. */
  get observations(): number {
    return this.count;
  }

  /** Feeds the next observation. */
  update(y: number): void {
    this.sum += y;
    const t = this.count++;
    if (!this.ready) {
      this.warmup.push(y);
      if (this.warmup.length === 2 * this.params.period) this.initialise();
      return;
    }
    this.step(t, y);
  }

  /** Forecasts the next `h` observations (index 0 = the next one). */
  forecast(h: number): number[] {
    const out = new Array<number>(Math.max(0, h));
    if (!this.ready) return out.fill(this.count === 0 ? 0 : this.sum / this.count);
    const m = this.params.period;
    for (let k = 1; k <= h; k++) out[k - 1] = this.level + k * this.trend + this.season[(this.count + k - 1) % m]!;
    return out;
  }

  private initialise(): void {
    const m = this.params.period;
    const first = this.warmup.slice(0, m);
    const second = this.warmup.slice(m);
    const mean1 = average(first);
    const mean2 = average(second);
    this.trend = (mean2 - mean1) / m;
    // Seasonal index = average deviation from each season's detrended line.
    for (let i = 0; i < m; i++) {
      const slope = (i - (m - 1) / 2) * this.trend;
      this.season[i] = (first[i]! - mean1 - slope + (second[i]! - mean2 - slope)) / 2;
    }
    // Level at the end of the first season; the second season is then replayed as ordinary updates.
    this.level = mean1 + ((m - 1) / 2) * this.trend;
    this.ready = true;
    for (let i = 0; i < m; i++) this.step(m + i, second[i]!);
    this.warmup.length = 0;
  }

  private step(t: number, y: number): void {
    const { alpha, beta, gamma, period } = this.params;
    const i = t % period;
    const prevLevel = this.level;
    const s = this.season[i]!;
    this.level = alpha * (y - s) + (1 - alpha) * (prevLevel + this.trend);
    this.season[i] = gamma * (y - prevLevel - this.trend) + (1 - gamma) * s;
    this.trend = beta * (this.level - prevLevel) + (1 - beta) * this.trend;
  }
}

function average(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
