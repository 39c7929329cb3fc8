import { requireInt } from '../errors';
import { ComponentRows, type BatchScorer } from '../ensemble/component-rows';
import { markovMixture, mixtureName, type ComponentName, type MixtureWeights } from '../ensemble/mixture';
import type { SessionKnnPredictor } from '../knn/knn-predictor';
import { UserBlendedMarkov } from '../markov/user-blend';
import type { VariableOrderMarkov } from '../markov/variable-order-markov';
import type { ScoredAction } from '../predictor';
import type { HistoryRef } from '../rnn/rnn-model';
import { topNOfDistribution, TopNBuffer } from '../util/top-n';
import type { RnnRowCache, SparseRow } from './rnn-rows';
import { SparseMixtureTop } from './sparse-top';

/** The parts a {@link HotPathPredictor} mixes (those the mixture names must be given). */
export interface HotPathParts {
  readonly markov: VariableOrderMarkov;
  /** The chosen mixture; null is Markov alone. */
  readonly mixture: MixtureWeights | null;
  readonly knn?: SessionKnnPredictor | null;
  readonly rnn?: RnnRowCache | null;
  /** Per-user models kept at most (least recently used dropped; default 10,000). */
  readonly maxUsers?: number;
}

/** How the last call to {@link HotPathPredictor.distribution} was answered. */
export type RnnUse = 'none' | 'used' | 'pending';

/**
 * The prediction service's chosen model as a cache node runs it: the Markov snapshot (blended per
 * user with models this node learns from the actions it sees), session-kNN over the snapshot's
 * sessions, and the RNN through an {@link RnnRowCache}, mixed exactly as the service evaluates
 * the mixture (the same component rows, repeat factors, buckets and weights).
 *
 * Planning never waits for the network: a history whose RNN row is not computed yet is answered
 * by the other parts with the RNN's weight spread over them in proportion (each bucket's row
 * renormalised), and its row is queued, so the session's next plan has it.
 */
export class HotPathPredictor {
  /** What the node serves: the mixture's name (`markov`, `markov+knn`, …). */
  readonly name: string;
  readonly mixture: MixtureWeights;
  readonly blend: UserBlendedMarkov;
  private readonly rows: ComponentRows;
  private readonly withoutRnn: MixtureWeights | null;
  private readonly dense: Float32Array;
  private current: Float32Array;
  private readonly out: Float64Array;
  private readonly buffer = new TopNBuffer(64);
  private readonly sparse: SparseMixtureTop;
  private lastRnn: RnnUse = 'none';
  readonly counts = { predictions: 0, rnnUsed: 0, rnnPending: 0 };

  constructor(readonly parts: HotPathParts) {
    const mixture = parts.mixture ?? markovMixture();
    for (const c of mixture.components) {
      if ((c === 'knn' && !parts.knn) || (c === 'rnn' && !parts.rnn)) throw new Error(`The mixture names a ${c} part that was not given.`);
    }
    this.mixture = mixture;
    this.name = mixtureName(mixture);
    const global = parts.markov;
    this.blend = new UserBlendedMarkov(global, { updateGlobal: false, maxUsers: parts.maxUsers ?? 10_000 });
    const width = global.vocabularySize;
    const rnn = mixture.components.includes('rnn') ? (parts.rnn ?? null) : null;
    this.dense = new Float32Array(rnn?.vocabularySize ?? 0);
    this.current = this.dense;
    const scorer: BatchScorer | null = rnn && { vocabularySize: rnn.vocabularySize, predictBatch: () => this.current };
    this.rows = new ComponentRows(
      {
        markov: global,
        // As the service's evaluation: the user's blend once the user has been seen, else the global model.
        markovInto: (seq, len, out, userId) => {
          if (userId === null || this.blend.userWeight(userId) === 0) global.distributionAt(seq, len, out);
          else this.blend.distribution(userId, Array.prototype.slice.call(seq, 0, len) as number[], out);
        },
        knn: mixture.components.includes('knn') ? (parts.knn ?? null) : null,
        rnn: scorer,
      },
      width,
    );
    this.withoutRnn = rnn ? dropComponent(mixture, 'rnn') : null;
    this.out = new Float64Array(width);
    this.sparse = new SparseMixtureTop(this.blend, mixture.components.includes('knn') ? (parts.knn ?? null) : null, width);
  }

  get vocabularySize(): number {
    return this.out.length;
  }

  /** What is served now: {@link name}, or the mixture without the RNN once its forward pass has failed. */
  get serving(): string {
    return this.withoutRnn && this.parts.rnn!.failed ? mixtureName(this.withoutRnn) : this.name;
  }

  /** Whether the last distribution used the RNN, waited for its row, or did not need it. */
  get lastRnnUse(): RnnUse {
    return this.lastRnn;
  }

  /** Learns a transition of `userId` (their per-user Markov model; the snapshot stays as trained). */
  observe(userId: string, history: readonly number[], next: number): void {
    this.blend.observe(userId, history, next);
  }

  /** The weights for `history` (without the RNN while its row is not ready) and the RNN row. */
  private choose(history: readonly number[], queue = true): { weights: MixtureWeights; row: SparseRow | null } {
    const rnnCache = this.withoutRnn ? this.parts.rnn! : null;
    this.counts.predictions++;
    if (rnnCache === null) {
      this.lastRnn = 'none';
      return { weights: this.mixture, row: null };
    }
    const row = rnnCache.failed ? undefined : rnnCache.get(history, history.length, queue);
    if (row === undefined) {
      this.lastRnn = 'pending';
      this.counts.rnnPending++;
      return { weights: this.withoutRnn!, row: null };
    }
    this.lastRnn = 'used';
    this.counts.rnnUsed++;
    return { weights: this.mixture, row };
  }

  /**
   * p(· | history) for `userId`'s session (null: no user), written into `out` (the vocabulary's
   * width): the dense form of what {@link predict} ranks.
   */
  distribution(history: readonly number[], userId: string | null, out: Float64Array = this.out): Float64Array {
    const len = history.length;
    const { weights, row } = this.choose(history);
    if (row !== null) {
      this.dense.fill(0);
      for (let i = 0; i < row.actions.length; i++) this.dense[row.actions[i]!] = row.probs[i]!;
    }
    const ref: HistoryRef = { seq: history, len };
    this.rows.prepare(weights.components.includes('rnn') ? [ref] : []);
    this.rows.fill(0, history, len, weights.components, -1, userId);
    this.rows.applyRepeat(weights, history, len);
    this.rows.mix(weights, this.rows.bucket(weights, history, len), out);
    return out;
  }

  /**
   * The `n` most likely next actions after `history` for `userId`'s session (exact, without a
   * dense pass). With `queueRnn` false a missing RNN row is not queued (a planner's look-ahead
   * from an action the session has not taken: rows are kept for histories that happen).
   */
  predict(history: readonly number[], n: number, userId: string | null = null, queueRnn = true): ScoredAction[] {
    requireInt('n', n, 0);
    const { weights, row } = this.choose(history, queueRnn);
    return this.sparse.top({ seq: history, userId, weights, rnnRow: row }, n);
  }

  /** The `n` most likely next actions from the dense distribution (the reference {@link predict} equals). */
  predictDense(history: readonly number[], n: number, userId: string | null = null): ScoredAction[] {
    requireInt('n', n, 0);
    const dist = this.distribution(history, userId);
    return topNOfDistribution(dist, Math.min(n, dist.length), n <= this.buffer.capacity ? this.buffer : undefined);
  }

  /** Queues the RNN rows of histories (when the mixture uses the RNN) and resolves once they are computed. */
  async warm(histories: readonly (readonly number[])[]): Promise<void> {
    const rnn = this.withoutRnn ? this.parts.rnn! : null;
    if (rnn === null) return;
    for (const h of histories) rnn.request(h, h.length);
    await rnn.idle();
  }
}

/** The mixture without one component, each bucket's remaining weights scaled back to sum 1. */
export function dropComponent(w: MixtureWeights, name: ComponentName): MixtureWeights {
  const at = w.components.indexOf(name);
  if (at < 0) return w;
  const C = w.components.length;
  const weights: number[] = [];
  for (let b = 0; b < w.lengthBuckets * w.evidenceBuckets; b++) {
    const row = w.weights.slice(b * C, (b + 1) * C).filter((_, c) => c !== at);
    const sum = row.reduce((s, x) => s + x, 0);
    // A bucket that trusted only the dropped part falls back to Markov alone.
    weights.push(...(sum > 0 ? row.map((x) => x / sum) : row.map((_, c) => (c === 0 ? 1 : 0))));
  }
  return {
    ...w,
    components: w.components.filter((_, c) => c !== at),
    weights,
    repeat: w.repeat.filter((_, c) => c !== at),
  };
}
