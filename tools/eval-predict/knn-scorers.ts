import { SessionKnn, SessionKnnPredictor, type VariableOrderMarkov } from '@foresight/prediction-core';
import type { EvalArgs } from './args';
import type { DenseScorer, Position } from './evaluate';

/** Builds the session-kNN index of the training sessions (every one held), with Markov-K as its back-off. */
export function trainKnn(train: readonly (readonly number[])[], markov: VariableOrderMarkov, args: EvalArgs): [SessionKnnPredictor, number] {
  const t0 = process.hrtime.bigint();
  const index = new SessionKnn({
    maxSessions: Math.max(1, train.length),
    neighbours: args.knnNeighbours,
    postingLimit: args.knnPostings,
    historyWindow: args.knnWindow,
  });
  for (const s of train) index.observeSession(s);
  return [new SessionKnnPredictor(index, markov), Number(process.hrtime.bigint() - t0) / 1e9];
}

/**
 * Session-kNN as a scorer. Its back-off is the Markov-K row of the same chunk (read from
 * `inputs`, so Markov is not run twice). `skip` leaves actions already in the session unscored.
 */
export function knnScorer(knn: SessionKnnPredictor, markovName: string, trainSeconds: number, skip = false): DenseScorer {
  const predictor = new SessionKnnPredictor(knn.index, knn.backoff, knn.calibration, skip ? 'sknn-skip' : 'sknn', skip);
  return {
    name: predictor.name,
    trainSeconds,
    scoreBatch(items: readonly Position[], width: number, out: Float64Array, inputs): void {
      const markov = inputs.get(markovName)!;
      for (let i = 0; i < items.length; i++) {
        const row = out.subarray(i * width, (i + 1) * width);
        row.set(markov.subarray(i * width, (i + 1) * width));
        predictor.voteInto(items[i]!.seq, items[i]!.len, row);
      }
    },
  };
}
