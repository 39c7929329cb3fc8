import { RankStats, VariableOrderMarkov } from '@foresight/prediction-core';
import { testPositions } from './evaluate';

const log = (msg: string): void => void process.stderr.write(`[eval-predict] ${msg}\n`);

/** Orders tried when `--k` is left to the data. */
export const MARKOV_ORDERS = [1, 2, 3, 4, 5] as const;

/**
 * The Markov order that ranks best held out: each order is trained on `fitPart` and scored on
 * the held-out positions (at most `maxPositions`); the highest MRR@20 wins, ties keep the
 * lower order.
 */
export function chooseMarkovOrder(
  fitPart: readonly (readonly number[])[],
  heldOut: readonly (readonly number[])[],
  width: number,
  maxPositions: number,
): { order: number; scores: Record<number, ReturnType<RankStats['scores']>> } {
  const positions = [];
  for (const p of testPositions(heldOut)) {
    if (positions.length >= maxPositions) break;
    positions.push(p);
  }
  const dist = new Float64Array(width);
  const scores: Record<number, ReturnType<RankStats['scores']>> = {};
  let best = MARKOV_ORDERS[0] as number;
  for (const k of MARKOV_ORDERS) {
    const model = new VariableOrderMarkov({ maxOrder: k, vocabularySize: width, maxContexts: 4_000_000 });
    for (const s of fitPart) model.observeSession(s);
    const stats = new RankStats();
    for (const p of positions) {
      model.distributionAt(p.seq, p.len, dist);
      stats.add(dist, p.target);
    }
    scores[k] = stats.scores();
    if (scores[k]!.mrr20 > scores[best]!.mrr20) best = k;
  }
  log(`Markov order chosen held out: ${best} (MRR@20 ${MARKOV_ORDERS.map((k) => `K=${k} ${scores[k]!.mrr20}`).join(', ')})`);
  return { order: best, scores };
}
