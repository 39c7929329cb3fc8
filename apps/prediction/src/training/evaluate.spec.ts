import { VariableOrderMarkov, type HistoryRef } from '@foresight/prediction-core';
import { compareOnHeldOut, ensembleWins } from './evaluate';

/**
 * Sessions [mode, f, f, f, f, target(mode)]: the target depends on the first action, five steps
 * back, which an order-2 Markov model cannot see. An oracle "RNN" that reads the whole history
 * knows the target; the comparison must find that and fit the mixture towards it.
 */
function sessions(count: number): number[][] {
  return Array.from({ length: count }, (_, i) => {
    const mode = 1 + (i % 2);
    return [mode, 3, 3, 3, 3, mode === 1 ? 4 : 5];
  });
}

const V = 6;
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

describe('held-out comparison', () => {
  it('scores Markov, RNN and ensemble on the test slice and prefers the better mixture', async () => {
    const markov = new VariableOrderMarkov({ maxOrder: 2, vocabularySize: V });
    for (const s of sessions(80)) markov.observeSession(s);
    const c = await compareOnHeldOut(markov, oracle, sessions(20), sessions(20), { maxPositions: 1000, pause: async () => undefined });
    expect(c.testPositions).toBe(100);
    expect(c.rnn.hit1).toBeGreaterThan(c.markov.hit1);
    expect(c.ensemble.hit1).toBeGreaterThan(c.markov.hit1);
    expect(c.ensemble.nll).toBeLessThan(c.markov.nll);
    expect(ensembleWins(c)).toBe(true);
  });

  it('keeps Markov when the RNN adds nothing', async () => {
    const markov = new VariableOrderMarkov({ maxOrder: 2, vocabularySize: V });
    for (const s of sessions(80)) markov.observeSession(s);
    const uniform = { vocabularySize: V, predictBatch: (h: readonly HistoryRef[]) => new Float32Array(h.length * V).fill(1 / V) };
    const c = await compareOnHeldOut(markov, uniform, sessions(20), sessions(20), { maxPositions: 1000, pause: async () => undefined });
    expect(ensembleWins(c)).toBe(false);
  });
});
