import { RankStats, type HeldOutScores, type TargetPosition } from '../ensemble/select';
import { DEFAULT_KNN_CALIBRATION, SessionKnnPredictor, type DistributionSource, type KnnCalibration } from './knn-predictor';
import type { SessionKnn } from './session-knn';

/**
 * `afterDecay` values compared held out: neighbours vote for all their actions (0), or for
 * what they did after the shared action, the next one weighing most (4).
 */
export const AFTER_DECAY_CANDIDATES: readonly number[] = [0, 4];

/** Outcome of {@link chooseKnnVoting}. */
export interface KnnVotingChoice {
  readonly calibration: KnnCalibration;
  /** Held-out scores of the kNN (actions already in the session not ranked) per `afterDecay`. */
  readonly scores: Readonly<Record<string, HeldOutScores>>;
}

/**
 * How the neighbours vote, chosen on held-out positions: each candidate `afterDecay` ranks the
 * next action with the back-off's distribution underneath (actions already in the session not
 * ranked, as the mixtures' repeat factors decide about those); the highest MRR@20 wins, ties
 * keep the earlier candidate. Some data sets continue from the shared action (e-commerce item
 * views), others revisit everything a neighbour saw (a web site's pages).
 */
export async function chooseKnnVoting(
  index: SessionKnn,
  backoff: DistributionSource,
  positions: readonly TargetPosition[],
  width: number,
  options: { readonly candidates?: readonly number[]; readonly base?: KnnCalibration; readonly pause?: () => Promise<void> } = {},
): Promise<KnnVotingChoice> {
  const candidates = options.candidates ?? AFTER_DECAY_CANDIDATES;
  const base = options.base ?? DEFAULT_KNN_CALIBRATION;
  const predictors = candidates.map((afterDecay) => new SessionKnnPredictor(index, null, { ...base, afterDecay }, 'sknn', true));
  const stats = candidates.map(() => new RankStats());
  const under = new Float64Array(width);
  const row = new Float64Array(width);
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    backoff.distributionAt(p.seq, p.len, under);
    predictors.forEach((predictor, c) => {
      row.set(under);
      predictor.voteInto(p.seq, p.len, row);
      stats[c]!.add(row, p.target);
    });
    if (options.pause && i % 256 === 255) await options.pause();
  }
  const scores: Record<string, HeldOutScores> = {};
  let best = 0;
  candidates.forEach((d, c) => {
    scores[String(d)] = stats[c]!.scores();
    if (stats[c]!.scores().mrr20 > stats[best]!.scores().mrr20) best = c;
  });
  return { calibration: { ...base, afterDecay: candidates[best]! }, scores };
}
