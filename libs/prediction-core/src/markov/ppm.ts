import type { TopNBuffer } from '../util/top-n';
import type { Scratch } from './scratch';
import type { SuccessorList } from './successor-list';

/** PPM escape estimator: C (escape count = distinct successors) or D (half-count discount). */
export type PpmMethod = 'C' | 'D';

/**
 * Counts of `node` left after excluding the actions already predicted by higher orders:
 * returns [remaining total, remaining distinct] through `out`.
 */
function unexcluded(node: SuccessorList, s: Scratch, out: Float64Array): void {
  let n = node.total;
  let t = node.size;
  if (s.excludedCount > 0) {
    if (s.excludedCount < node.size) {
      for (let i = 0; i < s.excludedCount; i++) {
        const c = node.countOf(s.excluded[i]!);
        if (c > 0) {
          n -= c;
          t--;
        }
      }
    } else {
      for (let i = 0; i < node.size; i++) {
        if (s.isExcluded(node.actions[i]!)) {
          n -= node.counts[i]!;
          t--;
        }
      }
    }
  }
  out[0] = n;
  out[1] = t;
}

const nt = new Float64Array(2);

function shareOf(method: PpmMethod, c: number, n: number, t: number): number {
  return method === 'C' ? c / (n + t) : (c - 0.5) / n;
}

function escapeOf(method: PpmMethod, n: number, t: number): number {
  return method === 'C' ? t / (n + t) : t / (2 * n);
}

/**
 * Dense PPM distribution with full exclusion: each action is predicted at the highest order whose
 * context has seen it; the escape mass falls to lower orders and finally to a uniform over the
 * actions no order has seen. Sums to 1 over `[0, vocabularySize)`.
 */
export function ppmDistribution(s: Scratch, top: number, vocabularySize: number, method: PpmMethod, out: Float64Array): void {
  out.fill(0);
  s.beginExclusion(vocabularySize);
  let remaining = 1;
  for (let k = top; k >= 0; k--) {
    const node = s.nodes[k];
    if (node === undefined || node.size === 0) continue;
    unexcluded(node, s, nt);
    const n = nt[0]!;
    const t = nt[1]!;
    if (t === 0) continue;
    for (let i = 0; i < node.size; i++) {
      const a = node.actions[i]!;
      if (s.isExcluded(a)) continue;
      if (a < out.length) out[a] = remaining * shareOf(method, node.counts[i]!, n, t);
    }
    for (let i = 0; i < node.size; i++) s.exclude(node.actions[i]!);
    remaining *= escapeOf(method, n, t);
  }
  const unseen = vocabularySize - s.excludedCount;
  if (unseen > 0) {
    const share = remaining / unseen;
    const end = Math.min(vocabularySize, out.length);
    for (let a = 0; a < end; a++) if (!s.isExcluded(a)) out[a] = share;
  } else if (remaining < 1) {
    const scale = 1 / (1 - remaining);
    for (let a = 0; a < out.length; a++) out[a]! *= scale;
  }
}

/**
 * Top-N of the PPM distribution without materialising it. An action's probability comes from one
 * order only (exclusion), and everything below order k is bounded by the escape mass left there,
 * so the walk stops as soon as the N-th best beats that mass.
 */
export function ppmTopN(s: Scratch, top: number, vocabularySize: number, method: PpmMethod, buf: TopNBuffer): void {
  s.beginExclusion(vocabularySize);
  // When every action has been seen at order 0 there is no uniform level and the final scores are
  // renormalised, which needs the full walk; otherwise stopping early is exact.
  const rootSize = s.nodes[0]?.size ?? 0;
  const canStopEarly = rootSize < vocabularySize;
  let remaining = 1;
  let lowestUsed = top + 1;
  for (let k = top; k >= 0; k--) {
    const node = s.nodes[k];
    if (node === undefined || node.size === 0) continue;
    unexcluded(node, s, nt);
    const n = nt[0]!;
    const t = nt[1]!;
    if (t === 0) continue;
    for (let i = 0; i < node.size; i++) {
      const a = node.actions[i]!;
      if (s.isExcluded(a)) continue;
      const p = remaining * shareOf(method, node.counts[i]!, n, t);
      if (buf.full && p < buf.floor) break;
      buf.offer(a, p);
    }
    remaining *= escapeOf(method, n, t);
    lowestUsed = k;
    if (canStopEarly && buf.full && buf.floor > remaining) return;
    // Order 0 (every action seen) is the last level: marking its actions excluded costs one pass over
    // the vocabulary, needed only if the uniform level below could still enter the top N. With at
    // least `unseenAtLeast` unseen actions its share is at most remaining / unseenAtLeast.
    if (k === 0 && buf.full) {
      const unseenAtLeast = vocabularySize - s.excludedCount - node.size;
      if (unseenAtLeast > 0 && remaining / unseenAtLeast <= buf.floor) return;
    }
    for (let i = 0; i < node.size; i++) s.exclude(node.actions[i]!);
  }
  const unseen = vocabularySize - s.excludedCount;
  if (unseen > 0) {
    const share = remaining / unseen;
    for (let a = 0; a < vocabularySize && (!buf.full || share > buf.floor); a++) {
      if (!s.isExcluded(a)) buf.offer(a, share);
    }
  } else if (remaining < 1 && lowestUsed <= top) {
    const scale = 1 / (1 - remaining);
    for (let i = 0; i < buf.size; i++) buf.scores[i]! *= scale;
  }
}

/**
 * Probability of one action under PPM with exclusion, walking down only to the order that
 * predicts it. Returns NaN when no uniform level exists (caller falls back to the dense path).
 */
export function ppmProbability(s: Scratch, top: number, vocabularySize: number, method: PpmMethod, action: number): number {
  if ((s.nodes[0]?.size ?? 0) >= vocabularySize) return Number.NaN;
  if (action < 0 || action >= vocabularySize) return 0;
  s.beginExclusion(vocabularySize);
  let remaining = 1;
  for (let k = top; k >= 0; k--) {
    const node = s.nodes[k];
    if (node === undefined || node.size === 0) continue;
    unexcluded(node, s, nt);
    const n = nt[0]!;
    const t = nt[1]!;
    if (t === 0) continue;
    const c = node.countOf(action);
    if (c > 0) return remaining * shareOf(method, c, n, t);
    for (let i = 0; i < node.size; i++) s.exclude(node.actions[i]!);
    remaining *= escapeOf(method, n, t);
  }
  return remaining / (vocabularySize - s.excludedCount);
}
