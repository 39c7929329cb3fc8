import type { Rng } from '@foresight/random';

/**
 * Candidate outputs of one sampled-softmax batch: the batch's own targets (shared negatives
 * for the other rows, drawn ∝ frequency by the data itself) plus `extra` actions drawn
 * ∝ frequency^0.75, each once. `logQ` is the log of each candidate's expected number of draws
 * under that mixed proposal, subtracted from its logit during training so the sampled softmax
 * estimates the full one (the "logQ correction"); inference uses the full softmax.
 */
export interface CandidateSet {
  /** Candidate actions (output indices), `actions[0..size)`. */
  readonly actions: Int32Array;
  readonly logQ: Float32Array;
  readonly size: number;
  /** Per batch row: the position of its target in `actions`. */
  readonly labels: Int32Array;
}

/** Draws candidate sets for sampled-softmax training over `counts.length` outputs. */
export class CandidateSampler {
  private readonly cdf: Float64Array;
  private readonly unigram: Float64Array;
  private readonly smoothed: Float64Array;
  private readonly position: Int32Array;
  private readonly stamp: Int32Array;
  private epoch = 0;
  private readonly actions: Int32Array;
  private readonly logQ: Float32Array;
  private readonly labels: Int32Array;

  /**
   * @param counts how often each output is a training target (index 0, `<unk>`, is never drawn
   *   as an extra negative)
   */
  constructor(
    counts: ArrayLike<number>,
    readonly extra: number,
    batchSize: number,
  ) {
    const V = counts.length;
    this.cdf = new Float64Array(V);
    this.unigram = new Float64Array(V);
    this.smoothed = new Float64Array(V);
    let total = 0;
    let totalSmoothed = 0;
    for (let a = 0; a < V; a++) {
      total += counts[a]!;
      totalSmoothed += a === 0 ? 0 : (counts[a]! + 1) ** 0.75;
    }
    let acc = 0;
    for (let a = 0; a < V; a++) {
      this.unigram[a] = total > 0 ? counts[a]! / total : 0;
      this.smoothed[a] = a === 0 ? 0 : (counts[a]! + 1) ** 0.75 / totalSmoothed;
      acc += this.smoothed[a]!;
      this.cdf[a] = acc;
    }
    this.position = new Int32Array(V);
    this.stamp = new Int32Array(V);
    const cap = Math.min(V, batchSize + extra);
    this.actions = new Int32Array(cap);
    this.logQ = new Float32Array(cap);
    this.labels = new Int32Array(batchSize);
  }

  /** The candidates of a batch whose targets are `targets[0..n)`. */
  draw(targets: Int32Array, n: number, rng: Rng): CandidateSet {
    const s = ++this.epoch;
    let size = 0;
    const add = (a: number): number => {
      if (this.stamp[a] !== s) {
        this.stamp[a] = s;
        this.position[a] = size;
        this.actions[size++] = a;
      }
      return this.position[a]!;
    };
    for (let i = 0; i < n; i++) this.labels[i] = add(targets[i]!);
    const room = this.actions.length;
    for (let k = 0; k < this.extra && size < room; k++) add(this.pick(rng()));
    const draws = n + this.extra;
    for (let i = 0; i < size; i++) {
      const a = this.actions[i]!;
      const expected = n * this.unigram[a]! + this.extra * this.smoothed[a]!;
      // Never below one draw's worth: the batch's own targets are in by construction.
      this.logQ[i] = Math.log(Math.max(expected, 1 / draws));
    }
    return { actions: this.actions, logQ: this.logQ, size, labels: this.labels };
  }

  private pick(u: number): number {
    let lo = 1;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
