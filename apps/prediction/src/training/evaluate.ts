import { bucketOf, fitMixingWeights, rankOf, type HistoryRef, type MixingWeights, type VariableOrderMarkov } from '@foresight/prediction-core';
import { positionsOf, type HeldOutPosition } from './dataset';

/** Accuracy of one model on held-out positions. */
export interface ModelScores {
  readonly hit1: number;
  readonly hit3: number;
  readonly hit5: number;
  /** Mean reciprocal rank over the whole distribution. */
  readonly mrr: number;
  /** Mean negative log-likelihood of the true next action (nats). */
  readonly nll: number;
}

/** Result of comparing Markov, the RNN and their mixture on held-out sessions. */
export interface HeldOutComparison {
  readonly weights: MixingWeights;
  readonly fitPositions: number;
  readonly testPositions: number;
  readonly markov: ModelScores;
  readonly rnn: ModelScores;
  readonly ensemble: ModelScores;
}

/** What the evaluation needs of the recurrent model (an `RnnModel`). */
export interface BatchScorer {
  readonly vocabularySize: number;
  predictBatch(histories: readonly HistoryRef[]): Float32Array;
}

const SHAPE = { lengthBuckets: 6, evidenceBuckets: 8 };
const CHUNK = 256;

/**
 * Fits the ensemble's mixing weights on `fit` and scores Markov, the RNN and the ensemble on
 * `test` (at most `maxPositions` positions each). Works in chunks and awaits `pause` between
 * them, so a serving process keeps answering while it runs.
 */
export async function compareOnHeldOut(
  markov: VariableOrderMarkov,
  rnn: BatchScorer,
  fit: readonly (readonly number[])[],
  test: readonly (readonly number[])[],
  options: { maxPositions: number; pause: () => Promise<void> },
): Promise<HeldOutComparison> {
  const fitPositions = positionsOf(fit, options.maxPositions);
  const testPositions = positionsOf(test, options.maxPositions);
  const width = Math.max(markov.vocabularySize, rnn.vocabularySize, 1 + maxTarget(fitPositions), 1 + maxTarget(testPositions));
  const dist = new Float64Array(width);

  const sample = { markovP: new Float64Array(fitPositions.length), rnnP: new Float64Array(fitPositions.length), bucket: new Int32Array(fitPositions.length) };
  await inChunks(fitPositions, options.pause, (chunk, from) => {
    const rows = rnn.predictBatch(chunk);
    chunk.forEach((p, j) => {
      markov.distributionAt(p.seq, p.len, dist);
      sample.markovP[from + j] = dist[p.target]!;
      sample.rnnP[from + j] = p.target < rnn.vocabularySize ? rows[j * rnn.vocabularySize + p.target]! : 0;
      sample.bucket[from + j] = bucketOf(SHAPE, p.len, markov.evidenceAt(p.seq, p.len).count);
    });
  });
  const weights = fitMixingWeights(sample, SHAPE.lengthBuckets, SHAPE.evidenceBuckets);

  const acc = { markov: new Accumulator(), rnn: new Accumulator(), ensemble: new Accumulator() };
  const rnnDist = new Float64Array(width);
  const mixed = new Float64Array(width);
  await inChunks(testPositions, options.pause, (chunk) => {
    const rows = rnn.predictBatch(chunk);
    chunk.forEach((p, j) => {
      markov.distributionAt(p.seq, p.len, dist);
      rnnDist.fill(0);
      for (let a = 0; a < rnn.vocabularySize && a < width; a++) rnnDist[a] = rows[j * rnn.vocabularySize + a]!;
      const w = weights.markovWeight[bucketOf(weights, p.len, markov.evidenceAt(p.seq, p.len).count)] ?? 1;
      for (let a = 0; a < width; a++) mixed[a] = w * dist[a]! + (1 - w) * rnnDist[a]!;
      acc.markov.add(dist, p.target);
      acc.rnn.add(rnnDist, p.target);
      acc.ensemble.add(mixed, p.target);
    });
  });
  return {
    weights,
    fitPositions: fitPositions.length,
    testPositions: testPositions.length,
    markov: acc.markov.scores(),
    rnn: acc.rnn.scores(),
    ensemble: acc.ensemble.scores(),
  };
}

/** The ensemble earns its place only if it ranks better and is better calibrated than Markov. */
export function ensembleWins(c: HeldOutComparison): boolean {
  return c.testPositions > 0 && c.ensemble.hit1 > c.markov.hit1 && c.ensemble.nll < c.markov.nll;
}

class Accumulator {
  private n = 0;
  private h1 = 0;
  private h3 = 0;
  private h5 = 0;
  private rr = 0;
  private nll = 0;

  add(dist: Float64Array, target: number): void {
    const rank = rankOf(dist, target);
    this.n++;
    if (rank <= 1) this.h1++;
    if (rank <= 3) this.h3++;
    if (rank <= 5) this.h5++;
    this.rr += 1 / rank;
    this.nll -= Math.log(Math.max(1e-12, dist[target] ?? 0));
  }

  scores(): ModelScores {
    const d = Math.max(1, this.n);
    const r = (x: number) => Math.round((x / d) * 1e4) / 1e4;
    return { hit1: r(this.h1), hit3: r(this.h3), hit5: r(this.h5), mrr: r(this.rr), nll: r(this.nll) };
  }
}

async function inChunks(
  positions: readonly HeldOutPosition[],
  pause: () => Promise<void>,
  work: (chunk: HeldOutPosition[], from: number) => void,
): Promise<void> {
  for (let from = 0; from < positions.length; from += CHUNK) {
    work(positions.slice(from, from + CHUNK), from);
    await pause();
  }
}

function maxTarget(positions: readonly HeldOutPosition[]): number {
  let m = 0;
  for (const p of positions) if (p.target > m) m = p.target;
  return m;
}
