import { normalCdf } from './normal';

/**
 * Population model of a session's next request: with probability `continueProb` another request
 * follows, after a log-normal gap (log-milliseconds mean `mu`, deviation `sigma`); otherwise the
 * session has ended. The hazard of "the session has ended" therefore grows with silence.
 */
export interface GapModel {
  readonly mu: number;
  readonly sigma: number;
  readonly continueProb: number;
}

/** Prior before any data: median gap 30 s, wide spread, 70 % of requests followed by another. */
export const DEFAULT_GAP_MODEL: GapModel = { mu: Math.log(30_000), sigma: 1.5, continueProb: 0.7 };

/** Per-session activity state: exponential smoothing of log inter-request gaps. */
export interface ActivityState {
  readonly firstAt: number;
  readonly lastAt: number;
  readonly requests: number;
  /** EWMA of ln(gap ms); undefined until the second request. */
  readonly logGapMean: number | undefined;
  /** EWMA of the squared deviation of ln(gap). */
  readonly logGapVar: number;
}

/** Tuning of the activity forecaster. */
export interface ActivityOptions {
  /** Smoothing weight of the newest gap. */
  readonly alpha: number;
  /** Pseudo-observations of the population model when blending with the session's own gaps. */
  readonly priorWeight: number;
  /** Smallest σ used, so one regular session does not become over-confident. */
  readonly minSigma: number;
  /**
   * Gaps shorter than this count as this long. Access logs have 1-second timestamps, and a page's
   * burst of sub-resource requests is one action: ln(0 ms) would otherwise blow σ up.
   */
  readonly minGapMs: number;
}

const DEFAULT_ACTIVITY_OPTIONS: ActivityOptions = { alpha: 0.3, priorWeight: 3, minSigma: 0.5, minGapMs: 1000 };

/** Records a request at `at` (requests must arrive in time order). */
export function observeRequest(state: ActivityState | undefined, at: number, opts: ActivityOptions = DEFAULT_ACTIVITY_OPTIONS): ActivityState {
  if (!state) return { firstAt: at, lastAt: at, requests: 1, logGapMean: undefined, logGapVar: 0 };
  const x = Math.log(Math.max(at - state.lastAt, opts.minGapMs, 1));
  if (state.logGapMean === undefined) return { ...state, lastAt: at, requests: state.requests + 1, logGapMean: x, logGapVar: 0 };
  const d = x - state.logGapMean;
  return {
    ...state,
    lastAt: at,
    requests: state.requests + 1,
    logGapMean: state.logGapMean + opts.alpha * d,
    logGapVar: (1 - opts.alpha) * (state.logGapVar + opts.alpha * d * d),
  };
}

/** The session's gap model: its own smoothed gaps shrunk towards the population model. */
function sessionGapModel(state: ActivityState, prior: GapModel, opts: ActivityOptions = DEFAULT_ACTIVITY_OPTIONS): GapModel {
  const n = state.requests - 1;
  const w = n / (n + opts.priorWeight);
  const mu = state.logGapMean === undefined ? prior.mu : w * state.logGapMean + (1 - w) * prior.mu;
  const variance = w * state.logGapVar + (1 - w) * prior.sigma * prior.sigma;
  // Every observed request so far was followed by another: a Beta update of the continuation rate.
  const continueProb = (opts.priorWeight * prior.continueProb + n) / (opts.priorWeight + n);
  return { mu, sigma: Math.max(Math.sqrt(variance), opts.minSigma), continueProb };
}

/**
 * Probability that the session's next request falls in (from, to], given no request since
 * `state.lastAt` up to `from`. Requests after `lastAt + idleTimeoutMs` belong to a new session, so
 * the window is cut there.
 */
export function probabilityActiveBetween(
  state: ActivityState,
  from: number,
  to: number,
  prior: GapModel,
  idleTimeoutMs: number,
  opts: ActivityOptions = DEFAULT_ACTIVITY_OPTIONS,
): number {
  const d0 = Math.max(from - state.lastAt, 0);
  const d1 = Math.min(to, state.lastAt + idleTimeoutMs) - state.lastAt;
  if (d1 <= d0) return 0;
  const m = sessionGapModel(state, prior, opts);
  const cdf = (d: number): number => (d <= 0 ? 0 : normalCdf((Math.log(d) - m.mu) / m.sigma));
  const stillSilent = 1 - m.continueProb + m.continueProb * (1 - cdf(d0));
  if (stillSilent <= 0) return 0;
  return (m.continueProb * (cdf(d1) - cdf(d0))) / stillSilent;
}
