import type * as TF from '@tensorflow/tfjs';
import { requireInt } from '../errors';
import type { NextActionPredictor, ScoredAction } from '../predictor';
import { topNOfDistribution, TopNBuffer } from '../util/top-n';
import type { VocabularySnapshot } from '../vocabulary';
import type { RnnConfig } from './config';
import { encodeHistory, stepsFor } from './model';
import { loadTf } from './tf';

/** A history to score: the actions `seq[0..len)`. */
export interface HistoryRef {
  readonly seq: ArrayLike<number>;
  readonly len: number;
}

/**
 * A trained recurrent model. Inference is batched ({@link predictBatch}); the single-history
 * methods of {@link NextActionPredictor} are batches of one. It learns only by retraining, so
 * `observe` is a no-op.
 */
export class RnnModel implements NextActionPredictor {
  readonly name: string;
  private readonly buffer = new TopNBuffer(32);
  private inputs = new Int32Array(0);

  constructor(
    readonly network: TF.LayersModel,
    readonly config: RnnConfig,
    readonly version: string,
    /** Vocabulary the action indices refer to, when the trainer supplied one. */
    readonly vocabulary: VocabularySnapshot | null = null,
  ) {
    this.name = `${config.cell}-${config.hiddenUnits}`;
  }

  get vocabularySize(): number {
    return this.config.vocabularySize;
  }

  observe(): void {
    // Offline model: new data reaches it through retraining.
  }

  /**
   * Next-action distributions for many histories in one forward pass: row i of the result
   * (width V) is p(· | histories[i]).
   */
  predictBatch(histories: readonly HistoryRef[]): Float32Array {
    const tf = loadTf();
    const { historyLength: T, vocabularySize: V } = this.config;
    const n = histories.length;
    const out = new Float32Array(n * V);
    if (n === 0) return out;
    // One forward pass per distinct input length, so no history is padded (as in training).
    const groups = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const steps = stepsFor(histories[i]!.len, T);
      let g = groups.get(steps);
      if (g === undefined) groups.set(steps, (g = []));
      g.push(i);
    }
    for (const [steps, members] of groups) {
      if (this.inputs.length < members.length * steps) this.inputs = new Int32Array(Math.max(members.length * steps, 2 * this.inputs.length));
      members.forEach((i, j) => encodeHistory(histories[i]!.seq, histories[i]!.len, steps, V, this.inputs, j * steps));
      const probsTensor = tf.tidy(() => {
        const x = tf.tensor2d(this.inputs.subarray(0, members.length * steps), [members.length, steps], 'int32');
        return tf.softmax(this.network.predict(x, { batchSize: members.length }) as TF.Tensor2D);
      });
      // Read outside tidy: tidy walks a returned value looking for tensors, element by element.
      const probs = probsTensor.dataSync() as Float32Array;
      probsTensor.dispose();
      members.forEach((i, j) => out.set(probs.subarray(j * V, (j + 1) * V), i * V));
    }
    return out;
  }

  distribution(history: readonly number[], out: Float64Array): void {
    out.fill(0);
    const row = this.predictBatch([{ seq: history, len: history.length }]);
    const end = Math.min(out.length, row.length);
    for (let a = 0; a < end; a++) out[a] = row[a]!;
  }

  predict(history: readonly number[], n: number): ScoredAction[] {
    requireInt('n', n, 0);
    const dist = new Float64Array(this.vocabularySize);
    this.distribution(history, dist);
    return topNOfDistribution(dist, Math.min(n, this.vocabularySize), n <= this.buffer.capacity ? this.buffer : undefined);
  }

  /** Releases the network's tensors. */
  dispose(): void {
    this.network.dispose();
  }
}
