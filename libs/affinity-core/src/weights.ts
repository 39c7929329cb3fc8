/** Stickiness weights: 0 (move at the next chance) to 100 (never move while the edge is healthy). */
export const MIN_WEIGHT = 0;
export const MAX_WEIGHT = 100;
export const DEFAULT_WEIGHT = 50;

/** Clamps to 0–100 and rounds to an integer (the stored and published form). */
export function clampWeight(weight: number): number {
  if (!Number.isFinite(weight)) return DEFAULT_WEIGHT;
  return Math.round(Math.min(MAX_WEIGHT, Math.max(MIN_WEIGHT, weight)));
}

/** True for an integer weight in 0–100 (what an API may accept). */
export function isValidWeight(weight: unknown): weight is number {
  return typeof weight === 'number' && Number.isInteger(weight) && weight >= MIN_WEIGHT && weight <= MAX_WEIGHT;
}

/** What a client says about itself when its session is created. */
export interface ClientHints {
  /** The zone the client is in (or nearest to), when it knows. */
  readonly zone?: string;
  /** Round-trip time the client measured to its chosen edge, ms. */
  readonly rttMs?: number;
  /** Connection kind as the browser reports it (Network Information API `effectiveType`). */
  readonly network?: 'slow-2g' | '2g' | '3g' | '4g' | 'wifi' | 'ethernet' | 'unknown';
}

/**
 * The initial weight (50 by default), nudged by the client's hints: a client in the edge's own zone
 * on a fast network is likely to stay well served there, a slow or far client less so.
 */
export function initialWeight(hints: ClientHints, edgeZone: string | undefined): number {
  let w = DEFAULT_WEIGHT;
  if (hints.zone !== undefined && edgeZone !== undefined) w += hints.zone === edgeZone ? 10 : -10;
  if (hints.rttMs !== undefined) w += hints.rttMs < 50 ? 5 : hints.rttMs > 200 ? -5 : 0;
  if (hints.network === 'slow-2g' || hints.network === '2g') w -= 10;
  else if (hints.network === 'wifi' || hints.network === 'ethernet' || hints.network === '4g') w += 5;
  return clampWeight(w);
}

/** What an agent measured of one edge over a reporting window. */
export interface EdgeObservation {
  readonly rttMs: number;
  /** Attempts in the window. */
  readonly requests: number;
  readonly errors: number;
  readonly requestRatePerSecond: number;
}

/**
 * The baseline rules: start from 50 and add or subtract for latency, request rate and error rate
 * with fixed thresholds (latency under 50 ms +10, over 200 ms −10; rate over 100/s +5, under 10/s −5;
 * errors over 5 % −15, under 1 % +10). Stateless: each report replaces the weight.
 */
export function ruleWeight(o: EdgeObservation): number {
  let adj = 0;
  if (o.rttMs < 50) adj += 10;
  else if (o.rttMs > 200) adj -= 10;
  if (o.requestRatePerSecond > 100) adj += 5;
  else if (o.requestRatePerSecond < 10) adj -= 5;
  const errorRate = o.requests > 0 ? o.errors / o.requests : 0;
  if (errorRate > 0.05) adj -= 15;
  else if (errorRate < 0.01) adj += 10;
  return clampWeight(DEFAULT_WEIGHT + adj);
}
