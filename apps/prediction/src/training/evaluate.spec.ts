import type { HistoryRef } from '@foresight/prediction-core';
import type { EncodedSession } from './dataset';
import { chooseModel } from './evaluate';

const V = 8;
const settings = { markovOrder: 2, maxContexts: 10_000, maxUsers: 100, knn: { neighbours: 20, postings: 100 }, maxPositions: 1000 };
const pause = async (): Promise<void> => undefined;

/**
 * Sessions [mode, 3, 3, 3, 3, target(mode)]: the target depends on the first action, five steps
 * back, which an order-2 Markov model cannot see.
 */
function patterned(count: number): EncodedSession[] {
  return Array.from({ length: count }, (_, i) => {
    const mode = 1 + (i % 2);
    return { userId: null, actions: [mode, 3, 3, 3, 3, mode === 1 ? 4 : 5] };
  });
}

/** An "RNN" that reads the whole history and knows the pattern. */
const oracle = {
  vocabularySize: V,
  predictBatch(histories: readonly HistoryRef[]): Float32Array {
    const out = new Float32Array(histories.length * V).fill(0.01);
    histories.forEach((h, i) => {
      const next = h.len === 5 ? (h.seq[0] === 1 ? 4 : 5) : 3;
      out[i * V + next] = 1 - 0.01 * (V - 1);
    });
    return out;
  },
};

describe('chooseModel (the training round’s held-out choice)', () => {
  it('given a pattern beyond Markov, when the round compares candidates, then a mixture wins and its scores beat Markov', async () => {
    const s = await chooseModel(patterned(80), patterned(20), patterned(20), V, oracle, settings, pause);
    expect(s.candidates.map((c) => c.name)).toEqual(expect.arrayContaining(['markov', 'markov+knn', 'markov+rnn', 'markov+knn+rnn']));
    expect(s.chosen.name).not.toBe('markov');
    const markov = s.candidates.find((c) => c.name === 'markov')!;
    expect(s.chosen.scores.hit1).toBeGreaterThan(markov.scores.hit1);
    expect(s.chosen.scores.nll).toBeLessThan(markov.scores.nll);
    expect(s.testPositions).toBe(100);
  });

  it('given sessions with users, when compared, then the Markov part is the per-user blend', async () => {
    // Everyone goes 1 → 2, but user u goes 1 → 6 (and is often seen doing so).
    const crowd = Array.from({ length: 60 }, () => ({ userId: null, actions: [1, 2] }));
    const mine = Array.from({ length: 60 }, () => ({ userId: 'u', actions: [1, 6] }));
    const train = crowd.flatMap((c, i) => [c, mine[i]!]);
    const test = Array.from({ length: 10 }, () => ({ userId: 'u', actions: [1, 6] }));
    const s = await chooseModel(train, test, test, V, null, settings, pause);
    expect(s.candidates.find((c) => c.name === 'markov')!.scores.hit1).toBe(1);
  });
});
