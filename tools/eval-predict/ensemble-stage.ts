import {
  VariableOrderMarkov,
  applyRepeatFactor,
  bucketOf,
  bucketWeights,
  chooseKnnVoting,
  mixRows,
  selectMixture,
  type ComponentName,
  type KnnVotingChoice,
  type MixtureSelection,
  type MixtureWeights,
  type RnnModel,
  type TargetPosition,
} from '@foresight/prediction-core';
import type { EvalArgs } from './args';
import { testPositions, type DenseScorer, type Position } from './evaluate';
import { trainKnn } from './knn-scorers';
import { ProgressBar } from './progress';

const log = (msg: string): void => void process.stderr.write(`[eval-predict] ${msg}\n`);

/** Result of the held-out stage. */
export interface EnsembleStage {
  readonly selection: MixtureSelection;
  /** How session-kNN's neighbours vote, chosen on the fit half (null without kNN). */
  readonly knnVoting: KnnVotingChoice | null;
  readonly seconds: number;
}

/**
 * The held-out comparison that picks the default model: Markov-K and session-kNN are trained
 * on `fitPart` (the RNN was too); how the kNN's neighbours vote is chosen and the mixtures'
 * weights are fitted on the first half of the held-out positions, and every candidate is scored
 * on the second half.
 */
export async function runEnsembleStage(
  fitPart: readonly (readonly number[])[],
  heldOut: readonly (readonly number[])[],
  width: number,
  rnn: RnnModel | null,
  args: EvalArgs,
): Promise<EnsembleStage> {
  const t0 = Date.now();
  const markov = new VariableOrderMarkov({ maxOrder: args.k, vocabularySize: width, maxContexts: 4_000_000 });
  for (const s of fitPart) markov.observeSession(s);
  const knn = args.skipKnn ? null : trainKnn(fitPart, markov, args)[0];
  const positions: TargetPosition[] = [];
  for (const p of testPositions(heldOut)) {
    if (positions.length >= args.rnnHeldOut) break;
    positions.push(p);
  }
  const half = Math.floor(positions.length / 2);
  let knnVoting: KnnVotingChoice | null = null;
  if (knn !== null) {
    knnVoting = await chooseKnnVoting(knn.index, markov, positions.slice(0, half), width);
    knn.calibration = knnVoting.calibration;
    const scores = Object.entries(knnVoting.scores).map(([d, s]) => `afterDecay ${d}: MRR@20 ${s.mrr20}, Hit@20 ${s.hit20}`);
    log(`session-kNN voting chosen held out: afterDecay ${knnVoting.calibration.afterDecay} (${scores.join('; ')})`);
  }
  const bar = new ProgressBar('held out', positions.length);
  const selection = await selectMixture({ markov, knn, rnn }, positions.slice(0, half), positions.slice(half), width, {
    onProgress: (stage, done) => bar.update(stage === 'fit' ? done : half + done, stage),
  });
  bar.done();
  const seconds = (Date.now() - t0) / 1000;
  for (const c of selection.candidates) log(`held out ${c.name} (${c.fit} fit): ${JSON.stringify(c.scores)} repeat ${c.weights.repeat.join(' ')}`);
  log(
    `held out (${selection.fitPositions} fit + ${selection.testPositions} compared positions) → default ${selection.chosen.name} (${selection.chosen.fit} fit; ${seconds.toFixed(1)} s)`,
  );
  return { selection, knnVoting, seconds };
}

/**
 * A fitted mixture as a scorer over the component rows of the same chunk (`rowNames` names the
 * scorer whose row each component reads), with each component's repeat factor applied.
 */
export function mixtureScorer(
  name: string,
  weights: MixtureWeights,
  rowNames: Readonly<Partial<Record<ComponentName, string>>>,
  markov: VariableOrderMarkov,
  trainSeconds: number,
): DenseScorer {
  let rows: Float64Array[] = [];
  let marks = new Int32Array(0);
  let stamp = 0;
  return {
    name,
    trainSeconds,
    scoreBatch(items: readonly Position[], width: number, out: Float64Array, inputs): void {
      if (marks.length !== width) {
        rows = weights.components.map(() => new Float64Array(width));
        marks = new Int32Array(width);
      }
      for (let i = 0; i < items.length; i++) {
        const { seq, len } = items[i]!;
        weights.components.forEach((c, k) => {
          const row = rows[k]!;
          row.set(inputs.get(rowNames[c]!)!.subarray(i * width, (i + 1) * width));
          applyRepeatFactor(row, seq, len, weights.repeat[k]!, marks, ++stamp);
        });
        const bucket = bucketOf(weights, len, markov.evidenceAt(seq, len).count);
        mixRows(rows, bucketWeights(weights, bucket), out.subarray(i * width, (i + 1) * width));
      }
    },
  };
}
