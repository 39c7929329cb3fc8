import { requireInt } from '../errors';
import { checkShape, type ComponentName, type MixtureWeights } from './mixture';

/** Held-out evidence for fitting a mixture: per position and component. */
export interface MixtureSample {
  /** Per component: its probability of the true next action (before any repeat factor). */
  readonly p: readonly Float64Array[];
  /** Per component: the mass it gives to actions already in the session. */
  readonly sessionMass: readonly Float64Array[];
  /** 1 where the true next action is already in the session. */
  readonly repeat: Uint8Array;
  readonly bucket: Int32Array;
}

/** Options of {@link fitMixture}. */
export interface FitMixtureOptions {
  /** Buckets with fewer positions inherit the weights fitted on all positions (default 200). */
  readonly minSamples?: number;
  /** EM iterations at most (default 300). */
  readonly iterations?: number;
}

const FLOOR = 1e-12;

/**
 * Fits a mixture by maximising held-out log-likelihood: first each component's repeat factor
 * (one-dimensional and concave in log ρ: golden-section search), then each bucket's weights by
 * expectation–maximisation (the log-likelihood is concave in the weights, so EM reaches the
 * optimum). Deterministic.
 */
export function fitMixture(
  sample: MixtureSample,
  components: readonly ComponentName[],
  lengthBuckets: number,
  evidenceBuckets: number,
  options: FitMixtureOptions = {},
): MixtureWeights {
  checkShape(lengthBuckets, evidenceBuckets);
  const C = components.length;
  requireInt('components', C, 1, 8);
  const minSamples = options.minSamples ?? 200;
  const iterations = options.iterations ?? 300;
  const n = sample.repeat.length;
  const repeat = components.map((_, c) => fitRepeatFactor(sample.sessionMass[c]!, sample.repeat));
  // Adjusted probabilities of the true action, per component.
  const q = components.map((_, c) => {
    const out = new Float64Array(n);
    const p = sample.p[c]!;
    const m = sample.sessionMass[c]!;
    const rho = repeat[c]!;
    for (let i = 0; i < n; i++) out[i] = Math.max(FLOOR, (p[i]! * (sample.repeat[i] ? rho : 1)) / Math.max(1e-300, rho * m[i]! + 1 - m[i]!));
    return out;
  });
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const global = n > 0 ? emWeights(q, all, iterations) : uniformFirst(C);
  const B = lengthBuckets * evidenceBuckets;
  const members: number[][] = Array.from({ length: B }, () => []);
  for (let i = 0; i < n; i++) members[sample.bucket[i]!]?.push(i);
  const weights: number[] = [];
  for (const idx of members) weights.push(...(idx.length >= minSamples ? emWeights(q, Int32Array.from(idx), iterations) : global));
  return { version: 2, components: [...components], lengthBuckets, evidenceBuckets, weights, repeat };
}

/** Weights all on the first component (used when there is no evidence at all). */
function uniformFirst(C: number): number[] {
  return Array.from({ length: C }, (_, c) => (c === 0 ? 1 : 0));
}

/** EM for mixture weights over the positions `idx`; returns weights rounded to 1e-6 that sum to 1. */
function emWeights(q: readonly Float64Array[], idx: Int32Array, iterations: number): number[] {
  const C = q.length;
  if (C === 1) return [1];
  let w = new Float64Array(C).fill(1 / C);
  const next = new Float64Array(C);
  for (let it = 0; it < iterations; it++) {
    next.fill(0);
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j]!;
      let z = 0;
      for (let c = 0; c < C; c++) z += w[c]! * q[c]![i]!;
      for (let c = 0; c < C; c++) next[c]! += (w[c]! * q[c]![i]!) / z;
    }
    let change = 0;
    for (let c = 0; c < C; c++) {
      const v = next[c]! / idx.length;
      change = Math.max(change, Math.abs(v - w[c]!));
      next[c] = v;
    }
    w = Float64Array.from(next);
    if (change < 1e-7) break;
  }
  const rounded = Array.from(w, (x) => Math.round(x * 1e6) / 1e6);
  const sum = rounded.reduce((s, x) => s + x, 0);
  return rounded.map((x) => Math.min(1, Math.max(0, x / sum)));
}

/**
 * Repeat factor ρ maximising Σ_i [r_i · log ρ − log(ρ · m_i + 1 − m_i)] (the terms of the
 * log-likelihood that depend on ρ), concave in u = log ρ; searched over ρ ∈ [e^−14, e^5].
 */
export function fitRepeatFactor(sessionMass: Float64Array, repeat: Uint8Array): number {
  const n = repeat.length;
  if (n === 0) return 1;
  const f = (u: number): number => {
    const rho = Math.exp(u);
    let s = 0;
    for (let i = 0; i < n; i++) s += (repeat[i] ? u : 0) - Math.log(Math.max(1e-300, rho * sessionMass[i]! + 1 - sessionMass[i]!));
    return s;
  };
  const phi = (Math.sqrt(5) - 1) / 2;
  let lo = -14;
  let hi = 5;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = f(a);
  let fb = f(b);
  for (let it = 0; it < 60; it++) {
    if (fa < fb) {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = f(b);
    } else {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = f(a);
    }
  }
  // ρ = 1 (no change) when it is as good: the factor must earn its place like any parameter.
  const u = (lo + hi) / 2;
  return f(u) > f(0) + 1e-9 ? Math.round(Math.exp(u) * 1e6) / 1e6 : 1;
}
