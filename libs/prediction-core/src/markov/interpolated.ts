import type { TopNBuffer } from '../util/top-n';
import type { Scratch } from './scratch';

/*
 * Interpolated absolute discounting: p_k(a) = max(c_k(a) − D, 0) / n_k + γ_k · p_{k−1}(a),
 * γ_k = D · t_k / n_k, p_{−1} = uniform. Unseen contexts pass p_{k−1} through (γ = 1).
 * Equivalently p(a) = W_{−1}/V + Σ_k W_k · α_k(a) with W_k the product of the γ above order k.
 */

function alpha(c: number, n: number, d: number): number {
  return c > d ? (c - d) / n : 0;
}

/** Fills `s.weights[k]` = W_k for k = top..0 and returns W_{−1}. */
function interpolationWeights(s: Scratch, top: number, d: number): number {
  let w = 1;
  for (let k = top; k >= 0; k--) {
    s.weights[k] = w;
    const node = s.nodes[k];
    if (node !== undefined && node.total > 0) w *= Math.min(1, (d * node.size) / node.total);
  }
  return w;
}

/** Dense interpolated distribution over `[0, vocabularySize)`; sums to 1. */
export function interpolatedDistribution(s: Scratch, top: number, vocabularySize: number, d: number, out: Float64Array): void {
  out.fill(0);
  const base = interpolationWeights(s, top, d) / vocabularySize;
  const end = Math.min(vocabularySize, out.length);
  for (let a = 0; a < end; a++) out[a] = base;
  for (let k = top; k >= 0; k--) {
    const node = s.nodes[k];
    if (node === undefined || node.total === 0) continue;
    const w = s.weights[k]!;
    for (let i = 0; i < node.size; i++) {
      const a = node.actions[i]!;
      if (a < end) out[a]! += w * alpha(node.counts[i]!, node.total, d);
    }
  }
}

function exactScore(s: Scratch, top: number, d: number, base: number, a: number): number {
  let p = base;
  for (let k = top; k >= 0; k--) {
    const node = s.nodes[k];
    if (node === undefined || node.total === 0) continue;
    p += s.weights[k]! * alpha(node.countOf(a), node.total, d);
  }
  return p;
}

/**
 * Top-N by a threshold algorithm over the per-order lists (each sorted by count): always advance
 * the list whose next entry could contribute most, score that action exactly, and stop when the
 * N-th exact score beats the best score any unvisited action could still reach.
 */
export function interpolatedTopN(s: Scratch, top: number, vocabularySize: number, d: number, buf: TopNBuffer): void {
  s.beginExclusion(vocabularySize);
  const base = interpolationWeights(s, top, d) / vocabularySize;
  const pos = s.positions;
  for (let k = 0; k <= top; k++) pos[k] = 0;
  for (;;) {
    let bound = base;
    let best = -1;
    let bestGain = -1;
    for (let k = top; k >= 0; k--) {
      const node = s.nodes[k];
      if (node === undefined || pos[k]! >= node.size) continue;
      const gain = s.weights[k]! * alpha(node.counts[pos[k]!]!, node.total, d);
      bound += gain;
      if (gain > bestGain) {
        bestGain = gain;
        best = k;
      }
    }
    if (best < 0 || (buf.full && buf.floor > bound)) break;
    const a = s.nodes[best]!.actions[pos[best]!++]!;
    if (s.isExcluded(a)) continue;
    s.exclude(a);
    buf.offer(a, exactScore(s, top, d, base, a));
  }
  for (let a = 0; a < vocabularySize && (!buf.full || base > buf.floor); a++) {
    if (!s.isExcluded(a)) buf.offer(a, base);
  }
}

/** Probability of one action under interpolated smoothing. */
export function interpolatedProbability(s: Scratch, top: number, vocabularySize: number, d: number, action: number): number {
  if (action < 0 || action >= vocabularySize) return 0;
  const base = interpolationWeights(s, top, d) / vocabularySize;
  return exactScore(s, top, d, base, action);
}
