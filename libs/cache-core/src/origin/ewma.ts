import { requireNumber } from '../errors';

/** Exponentially weighted moving average (e.g. of an origin's latency). */
export class Ewma {
  private v: number;
  private n = 0;
  private readonly alpha: number;

  /** `alpha` in (0, 1]: weight of each new sample; `initial` is reported until the first sample. */
  constructor(alpha = 0.2, initial = 0) {
    this.alpha = requireNumber('alpha', alpha, Number.MIN_VALUE, 1);
    this.v = requireNumber('initial', initial, -Number.MAX_VALUE);
  }

  /** Adds a sample; the first sample replaces the initial value. */
  update(sample: number): number {
    requireNumber('sample', sample, -Number.MAX_VALUE);
    this.v = this.n === 0 ? sample : this.v + this.alpha * (sample - this.v);
    this.n++;
    return this.v;
  }

  get value(): number {
    return this.v;
  }

  /** Number of samples seen. */
  get samples(): number {
    return this.n;
  }
}
