import { DEFAULT_EDGE_SCORE, expectedRttMs, type EdgeScoreOptions, type EdgeState } from './edge-score';
import { clampWeight, DEFAULT_WEIGHT, type EdgeObservation } from './weights';

/** What the predictive policy remembers of a session on its current edge. */
export interface StickinessState {
  /** Smoothed RTT level and trend (ms, ms per ms) — Holt's linear method over irregular reports. */
  readonly rttLevel: number;
  readonly rttTrend: number;
  /** Decayed counts of attempts and failures on the current edge. */
  readonly attempts: number;
  readonly failures: number;
  /** When the last observation was folded in (ms). */
  readonly at: number;
  /** Observations folded in since the session came to this edge. */
  readonly observations: number;
}

export interface PredictiveOptions {
  /** Holt smoothing of the level and of the trend (0–1). */
  readonly alpha: number;
  readonly beta: number;
  /** How far ahead the RTT is forecast (about one reporting interval), ms. */
  readonly horizonMs: number;
  /** Half-life of the error counts, ms. */
  readonly errorHalfLifeMs: number;
  /** Prior of the error rate: pseudo-failures over pseudo-attempts (mean 1 %). */
  readonly priorFailures: number;
  readonly priorAttempts: number;
  /** What a failed attempt costs the client (retry elsewhere), ms. */
  readonly failureCostMs: number;
  /** What a move costs (the new edge's cache is cold for the session), ms: a move must gain more. */
  readonly moveCostMs: number;
  /** Gain (ms) at which the weight has dropped by about 38 of 50 points: larger is more conservative. */
  readonly gainScaleMs: number;
}

export const DEFAULT_PREDICTIVE: PredictiveOptions = {
  alpha: 0.6,
  beta: 0.4,
  horizonMs: 30_000,
  errorHalfLifeMs: 120_000,
  priorFailures: 0.2,
  priorAttempts: 20,
  failureCostMs: 300,
  moveCostMs: 25,
  gainScaleMs: 40,
};

/** The state of a session that has just arrived on an edge, with the RTT expected there. */
export function freshStickiness(expectedRttMs: number, at: number): StickinessState {
  return { rttLevel: expectedRttMs, rttTrend: 0, attempts: 0, failures: 0, at, observations: 0 };
}

/** Folds one agent observation of the current edge into the state (pure). */
export function observe(state: StickinessState, o: EdgeObservation, at: number, opts: PredictiveOptions = DEFAULT_PREDICTIVE): StickinessState {
  const dt = Math.max(1, at - state.at);
  const decay = Math.pow(0.5, dt / opts.errorHalfLifeMs);
  const attempts = state.attempts * decay + Math.max(0, o.requests);
  const failures = state.failures * decay + Math.max(0, Math.min(o.errors, o.requests));
  if (!(o.requests > o.errors) || !Number.isFinite(o.rttMs)) return { ...state, attempts, failures, at };
  if (state.observations === 0) return { rttLevel: o.rttMs, rttTrend: 0, attempts, failures, at, observations: 1 };
  const predicted = state.rttLevel + state.rttTrend * dt;
  const level = opts.alpha * o.rttMs + (1 - opts.alpha) * predicted;
  const trend = opts.beta * ((level - state.rttLevel) / dt) + (1 - opts.beta) * state.rttTrend;
  return { rttLevel: level, rttTrend: trend, attempts, failures, at, observations: state.observations + 1 };
}

/** Expected error rate on the current edge (posterior mean with the prior). */
export function expectedErrorRate(state: StickinessState, opts: PredictiveOptions = DEFAULT_PREDICTIVE): number {
  return (state.failures + opts.priorFailures) / (state.attempts + opts.priorAttempts);
}

/** Forecast cost (ms) of the next requests on the current edge: RTT over the horizon plus expected failures. */
export function forecastCostMs(state: StickinessState, opts: PredictiveOptions = DEFAULT_PREDICTIVE): number {
  const rtt = Math.max(0, state.rttLevel + state.rttTrend * opts.horizonMs);
  return rtt + expectedErrorRate(state, opts) * opts.failureCostMs;
}

/**
 * The predictive weight: 50 − 50·tanh(gain / scale), where gain is what moving is forecast to save
 * per request (forecast cost here minus the best alternative's cost and the cost of moving). A
 * session whose edge is and stays the best rises towards 100; one whose edge is, or is about to be,
 * clearly worse than another falls towards 0.
 *
 * @param alternativeCostMs expected cost (RTT + failures) on the best other healthy edge; Infinity when none.
 */
export function predictiveWeight(state: StickinessState, alternativeCostMs: number, opts: PredictiveOptions = DEFAULT_PREDICTIVE): number {
  if (!Number.isFinite(alternativeCostMs)) return 100;
  const gain = forecastCostMs(state, opts) - (alternativeCostMs + opts.moveCostMs);
  if (!Number.isFinite(gain)) return DEFAULT_WEIGHT;
  return clampWeight(DEFAULT_WEIGHT - 50 * Math.tanh(gain / opts.gainScaleMs));
}

/**
 * Expected cost (ms) of the session on the best other healthy edge: that edge's RTT for the client's
 * zone plus its failures, plus the client's own excess over its current edge's zone figure (a slow
 * last mile is slow to every edge, so it is no reason to move). Infinity when there is no other edge.
 */
export function alternativeCostMs(
  state: StickinessState,
  currentEdgeId: string,
  edges: readonly EdgeState[],
  clientZone: string | undefined,
  opts: PredictiveOptions = DEFAULT_PREDICTIVE,
  score: EdgeScoreOptions = DEFAULT_EDGE_SCORE,
): number {
  const current = edges.find((e) => e.edgeId === currentEdgeId);
  const excess = current && state.observations > 0 ? Math.max(0, state.rttLevel - expectedRttMs(current, clientZone, score)) : 0;
  let best = Infinity;
  for (const e of edges) {
    if (!e.healthy || e.edgeId === currentEdgeId) continue;
    best = Math.min(best, expectedRttMs(e, clientZone, score) + excess + (e.errorRate ?? 0) * opts.failureCostMs);
  }
  return best;
}
