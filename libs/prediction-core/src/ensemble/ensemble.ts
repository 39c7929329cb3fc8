import { requireInt } from '../errors';
import type { SessionKnnPredictor } from '../knn/knn-predictor';
import type { VariableOrderMarkov } from '../markov/variable-order-markov';
import type { NextActionPredictor, ScoredAction } from '../predictor';
import type { HistoryRef } from '../rnn/rnn-model';
import { topNOfDistribution } from '../util/top-n';
import { ComponentRows, type BatchScorer } from './component-rows';
import { mixtureName, type MixtureWeights } from './mixture';

/**
 * An ensemble behind the common interface: Markov-K, session-kNN and/or the RNN mixed by
 * {@link MixtureWeights} (per bucket of history length and Markov evidence, each part with its
 * repeat factor). Online updates go to the Markov model (feed the kNN index separately, per
 * session); the RNN changes only by retraining. The distribution covers the Markov vocabulary,
 * which may have grown past the RNN's (the RNN gives new actions probability 0).
 */
export class MixturePredictor implements NextActionPredictor {
  readonly name: string;

  constructor(
    readonly markov: VariableOrderMarkov,
    readonly weights: MixtureWeights,
    readonly knn: SessionKnnPredictor | null = null,
    readonly rnn: BatchScorer | null = null,
  ) {
    this.name = mixtureName(weights);
    for (const c of weights.components) {
      if ((c === 'knn' && !knn) || (c === 'rnn' && !rnn)) throw new Error(`The mixture names a ${c} part that was not given.`);
    }
  }

  get vocabularySize(): number {
    return Math.max(this.markov.vocabularySize, this.rnn?.vocabularySize ?? 0);
  }

  observe(history: readonly number[], next: number): void {
    this.markov.observe(history, next);
  }

  /** Distributions for many histories (one batched RNN pass); row i of `out` (width `width`) receives p(· | histories[i]). */
  distributionBatch(histories: readonly HistoryRef[], width: number, out: Float64Array): void {
    const rows = new ComponentRows({ markov: this.markov, knn: this.knn, rnn: this.rnn }, width);
    rows.prepare(histories);
    histories.forEach((h, i) => {
      rows.fill(i, h.seq, h.len, this.weights.components);
      rows.applyRepeat(this.weights, h.seq, h.len);
      rows.mix(this.weights, rows.bucket(this.weights, h.seq, h.len), out.subarray(i * width, (i + 1) * width));
    });
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
