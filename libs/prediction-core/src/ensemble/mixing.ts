import { requireInt } from '../errors';

/**
 * Mixing weights of the ensemble: the weight of the Markov model (the RNN gets 1 − w) for each
 * bucket of (history length, evidence of the Markov context). Buckets let the mix trust Markov
 * where its context has been seen often and the RNN where Markov has to back off.
 */
export interface MixingWeights {
  readonly version: 1;
  /** History-length buckets: 1, 2, …, lengthBuckets (the last one is "this long or longer"). */
  readonly lengthBuckets: number;
  /** Evidence buckets: ⌊log4(count of the deepest Markov context)⌋, capped. */
  readonly evidenceBuckets: number;
  /** Row-major [lengthBuckets × evidenceBuckets] Markov weights in [0, 1]. */
  readonly markovWeight: readonly number[];
}

/** Bucket index of a prediction. */
export function bucketOf(w: Pick<MixingWeights, 'lengthBuckets' | 'evidenceBuckets'>, historyLength: number, evidenceCount: number): number {
  const l = Math.min(Math.max(historyLength, 1), w.lengthBuckets) - 1;
  const e = Math.min(evidenceCount > 0 ? Math.floor(Math.log(evidenceCount) / Math.log(4)) + 1 : 0, w.evidenceBuckets - 1);
  return l * w.evidenceBuckets + e;
}

/** Weights that always pick Markov (the default until the RNN has earned its place). */
export function markovOnly(lengthBuckets = 1, evidenceBuckets = 1): MixingWeights {
  return { version: 1, lengthBuckets, evidenceBuckets, markovWeight: new Array(lengthBuckets * evidenceBuckets).fill(1) };
}

/** Held-out evidence for fitting: per position, each model's probability of the true next action. */
export interface MixingSample {
  readonly markovP: Float64Array;
  readonly rnnP: Float64Array;
  readonly bucket: Int32Array;
}

/**
 * Fits each bucket's Markov weight by maximising held-out log-likelihood
 * Σ log(w · p_markov + (1 − w) · p_rnn), which is concave in w (golden-section search). Buckets
 * with fewer than `minSamples` positions inherit the weight fitted on all positions.
 */
export function fitMixingWeights(sample: MixingSample, lengthBuckets: number, evidenceBuckets: number, minSamples = 200): MixingWeights {
  requireInt('lengthBuckets', lengthBuckets, 1, 64);
  requireInt('evidenceBuckets', evidenceBuckets, 1, 64);
  const n = sample.markovP.length;
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const global = n > 0 ? bestWeight(sample, all) : 1;
  const members: number[][] = Array.from({ length: lengthBuckets * evidenceBuckets }, () => []);
  for (let i = 0; i < n; i++) members[sample.bucket[i]!]?.push(i);
  const markovWeight = members.map((idx) => (idx.length >= minSamples ? bestWeight(sample, Int32Array.from(idx)) : global));
  return { version: 1, lengthBuckets, evidenceBuckets, markovWeight };
}

function logLikelihood(s: MixingSample, idx: Int32Array, w: number): number {
  let ll = 0;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    ll += Math.log(Math.max(1e-12, w * s.markovP[i]! + (1 - w) * s.rnnP[i]!));
  }
  return ll;
}

function bestWeight(s: MixingSample, idx: Int32Array): number {
  const phi = (Math.sqrt(5) - 1) / 2;
  let lo = 0;
  let hi = 1;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = logLikelihood(s, idx, a);
  let fb = logLikelihood(s, idx, b);
  for (let it = 0; it < 40; it++) {
    if (fa < fb) {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = logLikelihood(s, idx, b);
    } else {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = logLikelihood(s, idx, a);
    }
  }
  const mid = (lo + hi) / 2;
  // The optimum may sit on an edge (one model useless there): compare with the end points.
  const candidates = [0, mid, 1];
  const scores = candidates.map((w) => logLikelihood(s, idx, w));
  return candidates[scores.indexOf(Math.max(...scores))]!;
}
