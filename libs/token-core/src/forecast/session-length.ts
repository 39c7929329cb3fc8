/** Tuning of the {@link SessionLengthModel}. Times in milliseconds. */
export interface SessionLengthOptions {
  /** Lengths shorter than this fall into the first bin (log timestamps have a 1-second resolution). */
  readonly minLengthMs: number;
  /** Ratio between consecutive length bins: fine, so that "no session outlived 29.5 minutes" is not blurred into 30. */
  readonly binRatio: number;
  /** Number of bins; longer lengths fall into the last one. */
  readonly bins: number;
  /**
   * Pseudo-survivors added to the sessions at risk in each bin: a bin where every one of n sessions
   * at risk ended still lets 1 / (n + priorWeight) of them through. Few sessions at risk say little.
   */
  readonly priorWeight: number;
}

/** 1 s to about 11 days in 1 % steps; one pseudo-survivor per bin. */
export const DEFAULT_SESSION_LENGTH_OPTIONS: SessionLengthOptions = { minLengthMs: 1000, binRatio: 1.01, bins: 1400, priorWeight: 1 };

/**
 * How long sessions last (age at the last request), learned online from the sessions the service
 * saw: a Kaplan-Meier estimate over fine log-spaced bins. Ended sessions contribute their length;
 * live ones are right-censored at the age of their latest request, so long sessions still running
 * are not missing from the estimate. Nothing in it is fitted to a trace: before any session has
 * ended it says nothing (survival 1), and every count comes from the sessions it serves.
 */
export class SessionLengthModel {
  private readonly ended: Float64Array;
  private readonly live: Float64Array;
  /** Sessions at risk at each bin (ended or live at or beyond it); recomputed when stale. */
  private readonly atRisk: Float64Array;
  private stale = true;
  private readonly logRatio: number;

  constructor(private readonly opts: SessionLengthOptions = DEFAULT_SESSION_LENGTH_OPTIONS) {
    if (!(opts.binRatio > 1) || !(opts.bins >= 2) || !(opts.minLengthMs > 0) || !(opts.priorWeight >= 0))
      throw new RangeError('invalid session length options');
    this.ended = new Float64Array(opts.bins);
    this.live = new Float64Array(opts.bins);
    this.atRisk = new Float64Array(opts.bins);
    this.logRatio = Math.log(opts.binRatio);
  }

  /** Sessions that ended so far. */
  get endedSessions(): number {
    return this.ended.reduce((a, b) => a + b, 0);
  }

  /** A live session made another request: its age moved from `fromAgeMs` (undefined at its second request's first observation) to `toAgeMs`. */
  observeAge(fromAgeMs: number | undefined, toAgeMs: number): void {
    if (fromAgeMs !== undefined) this.take(this.live, this.binOf(fromAgeMs));
    this.live[this.binOf(toAgeMs)]!++;
    this.stale = true;
  }

  /** A session ended at `lengthMs` (the age of its last request); `wasLive` when its age had been observed. */
  observeEnd(lengthMs: number, wasLive: boolean): void {
    const bin = this.binOf(lengthMs);
    if (wasLive) this.take(this.live, bin);
    this.ended[bin]!++;
    this.stale = true;
  }

  /**
   * Probability that a session at least `fromAgeMs` old lasts to at least `toAgeMs`. The ends in the
   * bin of `fromAgeMs` count (an end at exactly that age is a session that did not last beyond it;
   * bins are 1 % wide), those in the bin of `toAgeMs` do not (they may lie after it). Beyond the
   * longest session seen, each session at risk that ended there leaves 1 / (n + priorWeight): the
   * chance that the next session sets a new record.
   */
  survival(fromAgeMs: number, toAgeMs: number): number {
    if (toAgeMs <= fromAgeMs) return 1;
    if (this.stale) this.refresh();
    const lo = this.binOf(fromAgeMs);
    const hi = Math.min(this.binOf(toAgeMs) - 1, this.opts.bins - 1);
    let s = 1;
    for (let b = lo; b <= hi; b++) {
      const d = this.ended[b]!;
      if (d > 0) s *= 1 - d / (this.atRisk[b]! + this.opts.priorWeight);
    }
    return s;
  }

  private refresh(): void {
    let sum = 0;
    for (let b = this.opts.bins - 1; b >= 0; b--) {
      sum += this.ended[b]! + this.live[b]!;
      this.atRisk[b] = sum;
    }
    this.stale = false;
  }

  /** Decrements a count, never below zero (an age observed before a restart is not in the counts). */
  private take(counts: Float64Array, bin: number): void {
    if (counts[bin]! > 0) counts[bin]!--;
  }

  private binOf(ms: number): number {
    const x = Math.log(Math.max(ms, this.opts.minLengthMs) / this.opts.minLengthMs) / this.logRatio;
    return Math.min(this.opts.bins - 1, Math.floor(x));
  }
}
