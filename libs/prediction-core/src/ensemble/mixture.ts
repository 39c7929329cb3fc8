import { PredictionError, requireInt } from '../errors';
import type { MixingWeights } from './mixing';

/** Name of a mixture component (the models an ensemble can hold). */
export type ComponentName = 'markov' | 'knn' | 'rnn';

/**
 * Weights of an N-component ensemble, fitted on held-out positions:
 * p(a) = Σ_c w_{b,c} · p'_c(a), one weight row per bucket b of (history length, evidence of
 * the Markov context), where p'_c is component c's distribution with the mass of actions
 * already in the session rescaled by a learned repeat factor ρ_c:
 * p'_c(a) = p_c(a) · (a ∈ session ? ρ_c : 1) / (ρ_c · m_c + 1 − m_c), m_c = Σ_{a ∈ session} p_c(a).
 * (ρ = 1 changes nothing; ρ → 0 never repeats an action, as in data without repeats.)
 */
export interface MixtureWeights {
  readonly version: 2;
  readonly components: readonly ComponentName[];
  readonly lengthBuckets: number;
  readonly evidenceBuckets: number;
  /** Row-major [buckets × components], each row on the simplex. */
  readonly weights: readonly number[];
  /** Per component repeat factor ρ_c ≥ 0. */
  readonly repeat: readonly number[];
}

const NAMES: readonly ComponentName[] = ['markov', 'knn', 'rnn'];

/** The mixture that is the Markov model alone. */
export function markovMixture(lengthBuckets = 1, evidenceBuckets = 1): MixtureWeights {
  return { version: 2, components: ['markov'], lengthBuckets, evidenceBuckets, weights: new Array(lengthBuckets * evidenceBuckets).fill(1), repeat: [1] };
}

/** A Markov + RNN weighting of the first ensemble format, as a mixture (old bundles keep working). */
export function fromMixingWeights(w: MixingWeights): MixtureWeights {
  const weights: number[] = [];
  for (const m of w.markovWeight) weights.push(m, 1 - m);
  return { version: 2, components: ['markov', 'rnn'], lengthBuckets: w.lengthBuckets, evidenceBuckets: w.evidenceBuckets, weights, repeat: [1, 1] };
}

/** Short name of a mixture for logs, reports and answers: its components joined by `+`. */
export function mixtureName(w: Pick<MixtureWeights, 'components'>): string {
  return w.components.join('+');
}

/** Shape-checks decoded weights; throws `PREDICTION.ARTIFACT_CORRUPT`. */
export function checkMixtureWeights(value: unknown): MixtureWeights {
  const m = value as Partial<MixtureWeights> | null;
  const C = Array.isArray(m?.components) ? m.components.length : 0;
  const ok =
    m !== null &&
    typeof m === 'object' &&
    m.version === 2 &&
    C >= 1 &&
    m.components!.every((c, i) => NAMES.includes(c) && m.components!.indexOf(c) === i) &&
    Number.isInteger(m.lengthBuckets) &&
    Number.isInteger(m.evidenceBuckets) &&
    m.lengthBuckets! >= 1 &&
    m.evidenceBuckets! >= 1 &&
    Array.isArray(m.weights) &&
    m.weights.length === m.lengthBuckets! * m.evidenceBuckets! * C &&
    m.weights.every((x) => typeof x === 'number' && x >= 0 && x <= 1) &&
    Array.isArray(m.repeat) &&
    m.repeat.length === C &&
    m.repeat.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
  if (!ok) throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Ensemble mixture weights are malformed.');
  return m as MixtureWeights;
}

/** Index of component `name` in a mixture, or −1. */
export function componentIndex(w: Pick<MixtureWeights, 'components'>, name: ComponentName): number {
  return w.components.indexOf(name);
}

/**
 * Rescales the mass a distribution gives to actions of the history `seq[0..len)` by the repeat
 * factor `rho` (see {@link MixtureWeights}), in place; `marks`/`stamp` is caller scratch that
 * tells session actions apart (entries equal to `stamp` are in the session).
 */
export function applyRepeatFactor(row: Float64Array, seq: ArrayLike<number>, len: number, rho: number, marks: Int32Array, stamp: number): void {
  if (rho === 1 || len === 0) return;
  let m = 0;
  for (let i = 0; i < len; i++) {
    const a = seq[i]!;
    if (a < row.length && marks[a] !== stamp) {
      marks[a] = stamp;
      m += row[a]!;
    }
  }
  const denom = Math.max(1e-300, rho * m + 1 - m);
  const inside = rho / denom;
  const outside = 1 / denom;
  for (let a = 0; a < row.length; a++) row[a]! *= marks[a] === stamp ? inside : outside;
}

/**
 * Mixes component rows in place into `out` (all of width `out.length`): `rows[c]` must
 * already carry the repeat factor. `weights` is the bucket's row.
 */
export function mixRows(rows: readonly Float64Array[], weights: ArrayLike<number>, out: Float64Array): void {
  out.fill(0);
  for (let c = 0; c < rows.length; c++) {
    const w = weights[c]!;
    if (w === 0) continue;
    const r = rows[c]!;
    for (let a = 0; a < out.length; a++) out[a]! += w * r[a]!;
  }
}

/** The weight row of a bucket. */
export function bucketWeights(w: MixtureWeights, bucket: number): readonly number[] {
  const C = w.components.length;
  const b = Math.min(Math.max(bucket, 0), w.lengthBuckets * w.evidenceBuckets - 1);
  return w.weights.slice(b * C, (b + 1) * C);
}

/** Validates the shape arguments of a fit. */
export function checkShape(lengthBuckets: number, evidenceBuckets: number): void {
  requireInt('lengthBuckets', lengthBuckets, 1, 64);
  requireInt('evidenceBuckets', evidenceBuckets, 1, 64);
}
