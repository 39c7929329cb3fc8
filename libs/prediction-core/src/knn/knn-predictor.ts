import { requireInt, requireNumber } from '../errors';
import type { NextActionPredictor, ScoredAction } from '../predictor';
import { topNOfDistribution } from '../util/top-n';
import { SessionKnn, type SessionKnnOptions } from './session-knn';

/** A model that writes a dense next-action distribution for `seq[0..len)` (a Markov model, say). */
export interface DistributionSource {
  readonly vocabularySize: number;
  distributionAt(seq: ArrayLike<number>, len: number, out: Float64Array): void;
}

/**
 * How neighbours vote and how the votes become probabilities: p = weight · s^exponent / Σ
 * s^exponent over the candidates + (1 − weight) · p_backoff, and p = p_backoff when no session
 * shares an action.
 */
export interface KnnCalibration {
  readonly exponent: number;
  readonly weight: number;
  /**
   * {@link SessionKnn.score}'s `afterDecay`: 0, neighbours vote for all their actions; above
   * 0, only for what they did after the action they share with the session (absent: the
   * index's own option).
   */
  readonly afterDecay?: number;
}

/** Default calibration: scores normalised as they are, a tenth of the mass left to the back-off. */
export const DEFAULT_KNN_CALIBRATION: KnnCalibration = { exponent: 1, weight: 0.9 };

/** Validates a calibration; throws `PREDICTION.INVALID_ARGUMENT`. */
export function checkCalibration(c: KnnCalibration): KnnCalibration {
  requireNumber('exponent', c.exponent, 0.05, 20);
  requireNumber('weight', c.weight, 0, 1);
  requireNumber('afterDecay', c.afterDecay ?? 0, 0, 1e6);
  return c;
}

/**
 * Session-kNN behind the common {@link NextActionPredictor} interface, with calibrated
 * probabilities: the neighbours' votes normalised (see {@link KnnCalibration}) and mixed with a
 * back-off model (Markov when given, else add-one popularity from the index itself), which
 * answers alone for sessions that share no action with any held session.
 */
export class SessionKnnPredictor implements NextActionPredictor {
  readonly name: string;
  private calibrationValue: KnnCalibration;
  private current = -1;

  constructor(
    readonly index: SessionKnn = new SessionKnn(),
    readonly backoff: DistributionSource | null = null,
    calibration: KnnCalibration = DEFAULT_KNN_CALIBRATION,
    name = 'sknn',
    /** Leave actions already in the session unscored (default: the index's option). */
    readonly skipSessionItems: boolean = index.options.skipSessionItems,
  ) {
    this.calibrationValue = checkCalibration(calibration);
    this.name = name;
  }

  /** Builds the index and predictor from options. */
  static create(options: SessionKnnOptions = {}, backoff: DistributionSource | null = null, calibration?: KnnCalibration): SessionKnnPredictor {
    return new SessionKnnPredictor(new SessionKnn(options), backoff, calibration);
  }

  get calibration(): KnnCalibration {
    return this.calibrationValue;
  }

  set calibration(c: KnnCalibration) {
    this.calibrationValue = checkCalibration(c);
  }

  get vocabularySize(): number {
    return Math.max(this.index.vocabularySize, this.backoff?.vocabularySize ?? 1);
  }

  /**
   * Learns sessions fed one after another: an empty history opens a new session, any other
   * appends `next` to the session opened last. Interleaved live sessions use the index's
   * `open` / `append` with their own ids.
   */
  observe(history: readonly number[], next: number): void {
    if (history.length === 0 || !this.index.isLive(this.current)) {
      this.current = this.index.open();
      for (const a of history) this.index.append(this.current, a);
    }
    this.index.append(this.current, next);
  }

  /** Learns a whole session. */
  observeSession(session: readonly number[]): void {
    this.current = this.index.observeSession(session);
  }

  distribution(history: readonly number[], out: Float64Array): void {
    this.distributionAt(history, history.length, out);
  }

  /**
   * Dense distribution after `seq[0..len)`; `exclude` is the current session's id in the index
   * when it is held there (a session is never its own neighbour). Returns the neighbours found.
   */
  distributionAt(seq: ArrayLike<number>, len: number, out: Float64Array, exclude = -1): number {
    this.backoffInto(seq, len, out);
    return this.voteInto(seq, len, out, exclude);
  }

  /**
   * Like {@link distributionAt} when `out` already holds the back-off distribution of the
   * history (saves computing it twice when the caller has it).
   */
  voteInto(seq: ArrayLike<number>, len: number, out: Float64Array, exclude = -1): number {
    const s = this.index.score(seq, len, exclude, this.skipSessionItems, this.calibrationValue.afterDecay ?? this.index.options.afterDecay);
    if (s.neighbours === 0 || s.size === 0) return s.neighbours;
    const { exponent, weight } = this.calibrationValue;
    let total = 0;
    for (let i = 0; i < s.size; i++) total += s.scores[i]! ** exponent;
    if (!(total > 0)) return s.neighbours;
    for (let a = 0; a < out.length; a++) out[a]! *= 1 - weight;
    const scale = weight / total;
    for (let i = 0; i < s.size; i++) {
      const a = s.actions[i]!;
      if (a < out.length) out[a]! += scale * s.scores[i]! ** exponent;
    }
    return s.neighbours;
  }

  predict(history: readonly number[], n: number): ScoredAction[] {
    requireInt('n', n, 0);
    const dist = new Float64Array(this.vocabularySize);
    this.distribution(history, dist);
    return topNOfDistribution(dist, Math.min(n, dist.length));
  }

  private backoffInto(seq: ArrayLike<number>, len: number, out: Float64Array): void {
    if (this.backoff !== null) {
      this.backoff.distributionAt(seq, len, out);
      return;
    }
    out.fill(0);
    const V = Math.min(out.length, this.vocabularySize);
    const denom = this.index.totalCount + this.vocabularySize;
    for (let a = 0; a < V; a++) out[a] = (this.index.countOf(a) + 1) / denom;
  }
}
