import { rankWithin } from '@foresight/prediction-core';
import { RankAccumulator, type ModelScores } from './metrics';
import { ProgressBar } from './progress';

/** One test position: predict `target` from `seq[0..len)`. */
export interface Position {
  readonly seq: readonly number[];
  readonly len: number;
  readonly target: number;
}

/** A model under evaluation that writes dense distributions for a batch of positions. */
export interface DenseScorer {
  readonly name: string;
  readonly trainSeconds: number;
  /** Writes `items.length` distributions of width `width` into `out` (row-major). */
  scoreBatch(items: readonly Position[], width: number, out: Float64Array, inputs: ReadonlyMap<string, Float64Array>): void | Promise<void>;
}

/** Ranks beyond the largest cut-off are not told apart (every metric is 0 there). */
const RANK_CAP = 21;

/** Every position of every test session (position i predicts item i+1 from items 0..i). */
export function* testPositions(sessions: readonly (readonly number[])[]): Generator<Position> {
  for (const seq of sessions) for (let i = 0; i + 1 < seq.length; i++) yield { seq, len: i + 1, target: seq[i + 1]! };
}

/** Counts test positions. */
export function countPositions(sessions: readonly (readonly number[])[]): number {
  return sessions.reduce((s, seq) => s + Math.max(0, seq.length - 1), 0);
}

/**
 * Scores every position with every scorer, in chunks (scorers later in the list can read the
 * distributions of earlier ones through `inputs`, which is how the ensemble reuses them).
 */
export async function evaluate(scorers: readonly DenseScorer[], sessions: readonly (readonly number[])[], width: number, chunk = 512): Promise<ModelScores[]> {
  const total = countPositions(sessions);
  const acc = scorers.map((s) => new RankAccumulator(s.name, s.trainSeconds));
  const outs = new Map(scorers.map((s) => [s.name, new Float64Array(chunk * width)] as const));
  const bar = new ProgressBar('evaluate', total);
  let done = 0;
  let items: Position[] = [];
  const flush = async (): Promise<void> => {
    for (let m = 0; m < scorers.length; m++) {
      const scorer = scorers[m]!;
      const out = outs.get(scorer.name)!;
      const t0 = process.hrtime.bigint();
      await scorer.scoreBatch(items, width, out, outs);
      acc[m]!.inferenceSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
      for (let i = 0; i < items.length; i++) {
        const row = out.subarray(i * width, (i + 1) * width);
        const target = items[i]!.target;
        acc[m]!.add(rankWithin(row, target, RANK_CAP), row[target] ?? 0);
      }
    }
    done += items.length;
    items = [];
    bar.update(done);
  };
  for (const pos of testPositions(sessions)) {
    items.push(pos);
    if (items.length === chunk) await flush();
  }
  if (items.length > 0) await flush();
  bar.done();
  return acc.map((a) => a.summary());
}
