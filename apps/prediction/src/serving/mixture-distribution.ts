import { applyRepeatFactor, bucketOf, bucketWeights, mixRows, SessionKnnPredictor, type ComponentName } from '@foresight/prediction-core';
import type { OnlineModel } from '../learning/online-model';
import type { ServingModel } from '../models/serving-model';
import type { RnnBatcher } from './rnn-batcher';

/**
 * The serving ensemble's next-action distribution for a session (width: the live vocabulary):
 * the Markov part (per-user blend) and the kNN part from the live online models, the RNN part
 * through the batcher (one forward pass for concurrent requests), each with its repeat factor,
 * mixed with the weights of the history's bucket. Rejects when the RNN fails.
 */
export async function mixedDistribution(
  model: OnlineModel,
  batcher: RnnBatcher,
  serving: ServingModel,
  sessionId: string,
  userId: string | null,
  history: readonly number[],
): Promise<Float64Array> {
  const mixture = serving.mixture!;
  const width = model.vocabulary.size;
  const rows = new Map<ComponentName, Float64Array>();
  const rnnRow = mixture.components.includes('rnn') && serving.rnn ? await batcher.score(serving.rnn, history) : null;
  const markov = new Float64Array(width);
  model.distributionMarkov(userId, history, markov);
  rows.set('markov', markov);
  if (mixture.components.includes('knn') && serving.knn) {
    const knn = Float64Array.from(markov);
    new SessionKnnPredictor(model.knn.index, null, serving.knn).voteInto(history, history.length, knn, model.knn.sidOf(sessionId));
    rows.set('knn', knn);
  }
  if (rnnRow !== null) {
    const rnn = new Float64Array(width);
    const end = Math.min(width, serving.rnn!.vocabularySize);
    for (let a = 0; a < end; a++) rnn[a] = rnnRow[a]!;
    rows.set('rnn', rnn);
  }
  const marks = new Int32Array(width);
  const ordered = mixture.components.map((c, i) => {
    const row = rows.get(c) ?? markov;
    applyRepeatFactor(row, history, history.length, mixture.repeat[i]!, marks, i + 1);
    return row;
  });
  const out = new Float64Array(width);
  const bucket = bucketOf(mixture, history.length, model.global.evidenceAt(history, history.length).count);
  mixRows(ordered, bucketWeights(mixture, bucket), out);
  return out;
}
