import { DEFAULT_GAP_MODEL, type ActivityState, type GapModel } from './activity';
import { normalCdf } from './normal';
import { DEFAULT_SESSION_LENGTH_OPTIONS, SessionLengthModel, type SessionLengthOptions } from './session-length';

/** Tuning of the {@link ReturnModel}. Times in milliseconds. */
export interface ReturnModelOptions {
  /** Gaps shorter than this count as this long (log timestamps have a 1-second resolution). */
  readonly minGapMs: number;
  /** Ratio between consecutive gap bins: the histogram is log-spaced. */
  readonly binRatio: number;
  /** Number of gap bins; longer gaps fall into the last one. */
  readonly bins: number;
  /** Pseudo-observations with which each stratum is shrunk towards its parent estimate. */
  readonly priorWeight: number;
}

export const DEFAULT_RETURN_MODEL_OPTIONS: ReturnModelOptions = { minGapMs: 1000, binRatio: 1.25, bins: 56, priorWeight: 10 };

/** Gaps and session ends seen after requests that share a stratum. */
class Stratum {
  readonly gaps: Float64Array;
  gapCount = 0;
  ends = 0;

  constructor(bins: number) {
    this.gaps = new Float64Array(bins);
  }
}

/**
 * Probability that a silent session makes another request, learned online from the inter-request
 * gaps and session ends actually observed (a discrete Kaplan-Meier estimate over log-spaced gap
 * bins, causal: only the past is used). The answer depends on the session's own state: its age at
 * its last request and its request count select a stratum ("sessions 19–23 minutes old with 3–4
 * requests"), and each stratum is shrunk towards the coarser one (age only, then all sessions, then
 * a wide log-normal prior) by pseudo-counts, so sparse strata borrow strength and dense ones speak
 * for themselves. Age comes first: how long sessions last is what says most about a return. Nothing in it is fitted to one trace: with no data it is the
 * prior, and every count comes from the sessions it serves.
 */
export class ReturnModel {
  private readonly pooled: Stratum;
  private readonly byAge = new Map<number, Stratum>();
  private readonly byAgeCount = new Map<string, Stratum>();
  private readonly logRatio: number;
  /** How long sessions last: bounds a return at an age no session has been seen to reach. */
  private readonly lengths: SessionLengthModel;

  constructor(
    private readonly opts: ReturnModelOptions = DEFAULT_RETURN_MODEL_OPTIONS,
    private readonly prior: GapModel = DEFAULT_GAP_MODEL,
    lengthOpts: SessionLengthOptions = DEFAULT_SESSION_LENGTH_OPTIONS,
  ) {
    if (!(opts.binRatio > 1) || !(opts.bins >= 2) || !(opts.minGapMs > 0) || !(opts.priorWeight >= 0)) throw new RangeError('invalid return model options');
    this.pooled = new Stratum(opts.bins);
    this.logRatio = Math.log(opts.binRatio);
    this.lengths = new SessionLengthModel(lengthOpts);
  }

  /** Requests, gaps and ends seen so far (pooled). */
  get observations(): { gaps: number; ends: number } {
    return { gaps: this.pooled.gapCount, ends: this.pooled.ends };
  }

  /** The session made another request `gapMs` after its `requests`-th, which it made at age `ageMs`. */
  observeGap(requests: number, ageMs: number, gapMs: number): void {
    const bin = this.binOf(gapMs);
    for (const s of this.strata(requests, ageMs)) {
      s.gaps[bin]!++;
      s.gapCount++;
    }
    this.lengths.observeAge(requests > 1 ? ageMs : undefined, ageMs + gapMs);
  }

  /** The session ended (its idle timeout passed) after `requests` requests, the last at age `ageMs`. */
  observeEnd(requests: number, ageMs: number): void {
    for (const s of this.strata(requests, ageMs)) s.ends++;
    this.lengths.observeEnd(ageMs, requests > 1);
  }

  /**
   * Probability that the next request of a session with `requests` requests, the last at age
   * `ageMs`, comes between `fromMs` and `toMs` of silence, given none came in the first `fromMs`.
   */
  probabilityNextIn(requests: number, ageMs: number, fromMs: number, toMs: number): number {
    if (toMs <= fromMs) return 0;
    let p = this.priorProbability(fromMs, toMs);
    for (const s of this.strata(requests, ageMs)) {
      const atRisk = this.countAbove(s, fromMs) + s.ends;
      const returned = this.countAbove(s, fromMs) - this.countAbove(s, toMs);
      p = (returned + this.opts.priorWeight * p) / (atRisk + this.opts.priorWeight);
    }
    return Math.min(1, Math.max(0, p));
  }

  /**
   * Probability that the session's next request falls in (max(from, after), to], given silence
   * since `state.lastAt` up to `from`; 0 past the idle timeout (a later request starts a new session).
   *
   * Three estimates are taken and the smallest kept. The gap
   * estimate follows the session's stratum (age at its last request and request count). Two bounds
   * come from how long sessions last (a request after `after` needs the session to last to its age
   * then): the probability that the session comes back at all before its idle end times the share of
   * sessions still going at its age now that last to that age; and the share of sessions as old as
   * it was at its last request that last to that age, over the probability of its silence so far.
   * Strata a quarter-doubling wide mix sessions near the longest length seen with younger ones that
   * still return; the length model, in 1 % steps, does not.
   */
  probabilityReturn(state: ActivityState, from: number, to: number, idleTimeoutMs: number, after = from): number {
    const silent = Math.max(from - state.lastAt, 0);
    const s0 = Math.max(after - state.lastAt, silent);
    const s1 = Math.min(to, state.lastAt + idleTimeoutMs) - state.lastAt;
    if (s1 <= s0) return 0;
    const age = state.lastAt - state.firstAt;
    const survive = 1 - this.probabilityNextIn(state.requests, age, silent, s0);
    const gap = survive <= 0 ? 0 : this.probabilityNextIn(state.requests, age, silent, s1) - (1 - survive);
    if (s0 <= 0) return gap;
    // A request after max(from, after) needs the session to last to that age A: P(L ≥ A | L ≥ a,
    // silent to X) is at most P(L ≥ A | L ≥ a) / P(silent to X | last request at a), and, for a
    // session that comes back at all, P(L ≥ A | L > X).
    const any = this.probabilityNextIn(state.requests, age, silent, s1);
    const quiet = 1 - this.probabilityNextIn(state.requests, age, 0, silent);
    const sinceLast = quiet > 0 ? this.lengths.survival(age, age + s0) / quiet : 1;
    return Math.max(0, Math.min(gap, any * this.lengths.survival(age + silent, age + s0), sinceLast));
  }

  private priorProbability(fromMs: number, toMs: number): number {
    const { mu, sigma, continueProb: q } = this.prior;
    const cdf = (d: number): number => (d <= 0 ? 0 : normalCdf((Math.log(d) - mu) / sigma));
    const silent = 1 - q + q * (1 - cdf(fromMs));
    return silent <= 0 ? 0 : (q * (cdf(toMs) - cdf(fromMs))) / silent;
  }

  /** Gaps of the stratum longer than `ms`, interpolated within the bin (log scale). */
  private countAbove(s: Stratum, ms: number): number {
    const x = Math.log(Math.max(ms, this.opts.minGapMs) / this.opts.minGapMs) / this.logRatio;
    const bin = Math.floor(x);
    if (bin >= this.opts.bins) return 0;
    let above = s.gaps[bin]! * (1 - (x - bin));
    for (let b = bin + 1; b < this.opts.bins; b++) above += s.gaps[b]!;
    return above;
  }

  private binOf(gapMs: number): number {
    const x = Math.log(Math.max(gapMs, this.opts.minGapMs) / this.opts.minGapMs) / this.logRatio;
    return Math.min(this.opts.bins - 1, Math.floor(x));
  }

  private strata(requests: number, ageMs: number): [Stratum, Stratum, Stratum] {
    const a = ageClass(ageMs);
    const key = `${a}:${countClass(requests)}`;
    let byAge = this.byAge.get(a);
    if (!byAge) this.byAge.set(a, (byAge = new Stratum(this.opts.bins)));
    let byAgeCount = this.byAgeCount.get(key);
    if (!byAgeCount) this.byAgeCount.set(key, (byAgeCount = new Stratum(this.opts.bins)));
    return [this.pooled, byAge, byAgeCount];
  }
}

/** 1, 2, 3–4, 5–8, 9+ requests. */
function countClass(requests: number): number {
  return Math.min(4, Math.ceil(Math.log2(Math.max(1, requests))));
}

/** Session age in classes a quarter-doubling wide from one minute: < 1 min, 1–1.19, … , ≥ 1,024 min. */
function ageClass(ageMs: number): number {
  return ageMs < 60_000 ? 0 : Math.min(41, 1 + Math.floor(4 * Math.log2(ageMs / 60_000)));
}
