import type { SessionKnnPredictor } from '../knn/knn-predictor';
import type { VariableOrderMarkov } from '../markov/variable-order-markov';
import type { HistoryRef } from '../rnn/rnn-model';
import { bucketOf } from './mixing';
import { applyRepeatFactor, mixRows, type ComponentName, type MixtureWeights } from './mixture';

/** What an ensemble needs of the recurrent model (an `RnnModel`, or a stand-in in tests). */
export interface BatchScorer {
  readonly vocabularySize: number;
  predictBatch(histories: readonly HistoryRef[]): Float32Array;
}

/** The models an ensemble mixes; the Markov model also defines the buckets (its evidence). */
export interface MixtureParts {
  readonly markov: VariableOrderMarkov;
  /** The Markov component's distribution (default `markov.distributionAt`; e.g. a per-user blend, given the position's user). */
  readonly markovInto?: (seq: ArrayLike<number>, len: number, out: Float64Array, userId: string | null) => void;
  /** Session-kNN whose back-off is the Markov component. */
  readonly knn?: SessionKnnPredictor | null;
  readonly rnn?: BatchScorer | null;
}

/** Bucket shape of every mixture fitted here: history length 1..6+, ⌊log₄ evidence⌋ 0..7. */
export const MIXTURE_SHAPE = { lengthBuckets: 6, evidenceBuckets: 8 } as const;

/**
 * Dense rows of every component for positions of a chunk: call {@link prepare} once per chunk
 * (one batched RNN pass), then {@link fill} per position. Rows are reused between positions.
 */
export class ComponentRows {
  readonly rows: Record<ComponentName, Float64Array>;
  private rnnRows: Float32Array = new Float32Array(0);
  private readonly marks: Int32Array;
  private stamp = 0;

  constructor(
    readonly parts: MixtureParts,
    readonly width: number,
  ) {
    this.rows = { markov: new Float64Array(width), knn: new Float64Array(width), rnn: new Float64Array(width) };
    this.marks = new Int32Array(width);
  }

  /** Components available, in mixture order. */
  get available(): ComponentName[] {
    const out: ComponentName[] = ['markov'];
    if (this.parts.knn) out.push('knn');
    if (this.parts.rnn) out.push('rnn');
    return out;
  }

  /** Runs the RNN over the chunk's histories. */
  prepare(chunk: readonly HistoryRef[]): void {
    this.rnnRows = this.parts.rnn ? this.parts.rnn.predictBatch(chunk) : new Float32Array(0);
  }

  /**
   * Fills the rows of position `j` of the prepared chunk (history `seq[0..len)`, of `userId`'s
   * session) for the components listed; `exclude` is the session's own id in the kNN index, if
   * held there.
   */
  fill(j: number, seq: ArrayLike<number>, len: number, components: readonly ComponentName[], exclude = -1, userId: string | null = null): void {
    const { markov, knn, rnn } = this.rows;
    if (this.parts.markovInto) this.parts.markovInto(seq, len, markov, userId);
    else this.parts.markov.distributionAt(seq, len, markov);
    if (components.includes('knn') && this.parts.knn) {
      knn.set(markov);
      this.parts.knn.voteInto(seq, len, knn, exclude);
    }
    if (components.includes('rnn') && this.parts.rnn) {
      const V = this.parts.rnn.vocabularySize;
      const base = j * V;
      const end = Math.min(V, this.width);
      for (let a = 0; a < end; a++) rnn[a] = this.rnnRows[base + a]!;
      rnn.fill(0, end);
    }
  }

  /** Bucket of a history under {@link MIXTURE_SHAPE}-shaped weights. */
  bucket(weights: Pick<MixtureWeights, 'lengthBuckets' | 'evidenceBuckets'>, seq: ArrayLike<number>, len: number): number {
    return bucketOf(weights, len, this.parts.markov.evidenceAt(seq, len).count);
  }

  /** Mass each listed row gives to actions of the history (before any repeat factor). */
  sessionMass(seq: ArrayLike<number>, len: number, component: ComponentName): number {
    const stamp = this.nextStamp();
    const row = this.rows[component];
    let m = 0;
    for (let i = 0; i < len; i++) {
      const a = seq[i]!;
      if (a < this.width && this.marks[a] !== stamp) {
        this.marks[a] = stamp;
        m += row[a]!;
      }
    }
    return m;
  }

  /** Applies each component's repeat factor to its row, in place. */
  applyRepeat(weights: Pick<MixtureWeights, 'components' | 'repeat'>, seq: ArrayLike<number>, len: number): void {
    weights.components.forEach((c, i) => {
      const rho = weights.repeat[i]!;
      if (rho !== 1) applyRepeatFactor(this.rows[c], seq, len, rho, this.marks, this.nextStamp());
    });
  }

  /** Mixes the (repeat-adjusted) rows with the bucket's weights into `out`. */
  mix(weights: MixtureWeights, bucket: number, out: Float64Array): void {
    const C = weights.components.length;
    const b = Math.min(Math.max(bucket, 0), weights.lengthBuckets * weights.evidenceBuckets - 1);
    mixRows(
      weights.components.map((c) => this.rows[c]),
      weights.weights.slice(b * C, (b + 1) * C),
      out,
    );
  }

  private nextStamp(): number {
    if (this.stamp >= 0x7fff_fff0) {
      this.stamp = 0;
      this.marks.fill(0);
    }
    return ++this.stamp;
  }
}
