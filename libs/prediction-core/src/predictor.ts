/** One predicted next action: dense index and probability. */
export interface ScoredAction {
  readonly action: number;
  readonly p: number;
}

/**
 * Common interface of every next-action model.
 *
 * Probabilities are calibrated: for any history, `distribution` is a proper distribution over the
 * model's vocabulary `[0, vocabularySize)` (it sums to 1), and `predict` returns the `n` most likely
 * actions of that distribution, most likely first (ties: lower index first).
 */
export interface NextActionPredictor {
  /** Short stable name used in logs and reports (e.g. `markov-3`). */
  readonly name: string;
  /** Number of actions the distribution covers. */
  readonly vocabularySize: number;
  /** Learns that `next` followed `history` (no-op for models trained offline). */
  observe(history: readonly number[], next: number): void;
  /** The `n` most likely next actions after `history`, sorted by probability. */
  predict(history: readonly number[], n: number): readonly ScoredAction[];
  /** Writes `p(a | history)` for `a < out.length` into `out`; entries beyond the vocabulary are 0. */
  distribution(history: readonly number[], out: Float64Array): void;
}
