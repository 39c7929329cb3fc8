import { requireInt } from '../errors';
import type { VariableOrderMarkov } from '../markov/variable-order-markov';
import type { NextActionPredictor, ScoredAction } from '../predictor';
import type { HistoryRef, RnnModel } from '../rnn/rnn-model';
import { topNOfDistribution } from '../util/top-n';
import { bucketOf, type MixingWeights } from './mixing';

/**
 * Markov-K + RNN mixture: p = w_b · p_markov + (1 − w_b) · p_rnn, with w_b fitted per bucket
 * on held-out data (see {@link fitMixingWeights}). Online updates go to the Markov part; the RNN
 * changes only by retraining. The distribution covers the Markov vocabulary, which may have
 * grown past the RNN's (the RNN gives new actions probability 0).
 */
export class EnsemblePredictor implements NextActionPredictor {
  readonly name = 'ensemble';

  constructor(
    readonly markov: VariableOrderMarkov,
    readonly rnn: RnnModel,
    readonly weights: MixingWeights,
  ) {}

  get vocabularySize(): number {
    return Math.max(this.markov.vocabularySize, this.rnn.vocabularySize);
  }

  observe(history: readonly number[], next: number): void {
    this.markov.observe(history, next);
  }

  /** Markov weight used for a history. */
  markovWeightFor(seq: ArrayLike<number>, len: number): number {
    const ev = this.markov.evidenceAt(seq, len);
    return this.weights.markovWeight[bucketOf(this.weights, len, ev.count)] ?? 1;
  }

  /**
   * Distributions for many histories (one batched RNN pass); row i of `out` (width `width`)
   * receives p(· | histories[i]).
   */
  distributionBatch(histories: readonly HistoryRef[], width: number, out: Float64Array, rnnRows?: Float32Array | Float64Array): void {
    const rnn = rnnRows ?? this.rnn.predictBatch(histories);
    const V = this.rnn.vocabularySize;
    for (let i = 0; i < histories.length; i++) {
      const h = histories[i]!;
      const row = out.subarray(i * width, (i + 1) * width);
      this.markov.distributionAt(h.seq, h.len, row);
      const w = this.markovWeightFor(h.seq, h.len);
      const base = i * V;
      for (let a = 0; a < width; a++) row[a] = w * row[a]! + (1 - w) * (a < V ? rnn[base + a]! : 0);
    }
  }

  distribution(history: readonly number[], out: Float64Array): void {
    this.distributionBatch([{ seq: history, len: history.length }], out.length, out);
  }

  predict(history: readonly number[], n: number): ScoredAction[] {
    requireInt('n', n, 0);
    const dist = new Float64Array(this.vocabularySize);
    this.distribution(history, dist);
    return topNOfDistribution(dist, Math.min(n, dist.length));
  }
}
