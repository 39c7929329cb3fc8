import {
  chooseKnnVoting,
  SessionKnn,
  SessionKnnPredictor,
  UserBlendedMarkov,
  VariableOrderMarkov,
  selectMixture,
  type BatchScorer,
  type KnnVotingChoice,
  type MixtureSelection,
  type TargetPosition,
} from '@foresight/prediction-core';
import type { EncodedSession } from './dataset';

/** Sizes of the models a round compares (the online model's settings). */
export interface CandidateSettings {
  readonly markovOrder: number;
  readonly maxContexts: number;
  readonly maxUsers: number;
  readonly knn: { readonly neighbours: number; readonly postings: number };
  /** At most this many positions fit the mixtures, and as many compare them. */
  readonly maxPositions: number;
}

/** The comparison's outcome, with how session-kNN's neighbours vote (chosen first, on `fit`). */
export interface ModelChoice extends MixtureSelection {
  readonly knn: KnnVotingChoice;
}

/**
 * Trains Markov (with per-user blends where sessions have users) and session-kNN on `train`,
 * chooses how the neighbours vote on `fit` (see `chooseKnnVoting`), fits every mixture of them and of the RNN (when given) on `fit`, and compares them on `test`
 * (see `selectMixture`: the best MRR@20 wins, ties keep the simpler model). Works in chunks and
 * awaits `pause` between them, so a serving process keeps answering while it runs.
 */
export async function chooseModel(
  train: readonly EncodedSession[],
  fit: readonly EncodedSession[],
  test: readonly EncodedSession[],
  vocabularySize: number,
  rnn: BatchScorer | null,
  settings: CandidateSettings,
  pause: () => Promise<void>,
): Promise<ModelChoice> {
  const global = new VariableOrderMarkov({ maxOrder: settings.markovOrder, vocabularySize, maxContexts: settings.maxContexts });
  const blend = new UserBlendedMarkov(global, { maxUsers: settings.maxUsers });
  const knn = new SessionKnnPredictor(
    new SessionKnn({ maxSessions: Math.max(1, train.length), neighbours: settings.knn.neighbours, postingLimit: settings.knn.postings }),
    global,
  );
  for (let i = 0; i < train.length; i++) {
    const { userId, actions } = train[i]!;
    if (userId === null) global.observeSession(actions);
    else for (let k = 1; k < actions.length; k++) blend.observe(userId, actions.slice(0, k), actions[k]!);
    knn.index.observeSession(actions);
    if (i % 2000 === 1999) await pause();
  }
  global.growVocabulary(vocabularySize);
  const markovInto = (seq: ArrayLike<number>, len: number, out: Float64Array, userId: string | null): void => {
    if (userId === null || blend.userWeight(userId) === 0) global.distributionAt(seq, len, out);
    else blend.distribution(userId, Array.prototype.slice.call(seq, 0, len) as number[], out);
  };
  const fitPositions = positionsOf(fit, settings.maxPositions);
  const voting = await chooseKnnVoting(knn.index, global, fitPositions, vocabularySize, { pause });
  knn.calibration = voting.calibration;
  const selection = await selectMixture(
    { markov: global, markovInto, knn, rnn },
    fitPositions,
    positionsOf(test, settings.maxPositions),
    vocabularySize,
    // Small chunks: a large vocabulary makes each RNN pass long, and requests wait for it.
    { pause, chunk: 64 },
  );
  return { ...selection, knn: voting };
}

/** Every position of every session (position i ≥ 1 predicts item i), at most `limit`. */
export function positionsOf(sessions: readonly EncodedSession[], limit: number): TargetPosition[] {
  const out: TargetPosition[] = [];
  for (const { userId, actions } of sessions) {
    for (let i = 1; i < actions.length; i++) {
      if (out.length >= limit) return out;
      out.push({ seq: actions, len: i, target: actions[i]!, userId });
    }
  }
  return out;
}
