import { seededRng } from '@foresight/random';
import { bucketOf, fitMixingWeights, markovOnly } from './mixing';

function sample(n: number, markov: (i: number) => number, rnn: (i: number) => number, bucket: (i: number) => number) {
  return {
    markovP: Float64Array.from({ length: n }, (_, i) => markov(i)),
    rnnP: Float64Array.from({ length: n }, (_, i) => rnn(i)),
    bucket: Int32Array.from({ length: n }, (_, i) => bucket(i)),
  };
}

describe('ensemble mixing weights', () => {
  it('puts all weight on Markov when the RNN adds nothing', () => {
    const rng = seededRng(1);
    const s = sample(
      1000,
      () => 0.6 + 0.2 * rng(),
      () => 0.05,
      () => 0,
    );
    expect(fitMixingWeights(s, 1, 1).markovWeight[0]).toBe(1);
  });

  it('moves weight to the RNN in buckets where it is better, per bucket', () => {
    const s = sample(
      4000,
      (i) => (i % 2 === 0 ? 0.8 : 0.1),
      (i) => (i % 2 === 0 ? 0.2 : 0.7),
      (i) => i % 2,
    );
    const w = fitMixingWeights(s, 1, 2);
    expect(w.markovWeight[0]).toBeGreaterThan(0.9);
    expect(w.markovWeight[1]).toBeLessThan(0.1);
  });

  it('finds the interior optimum of a genuine mixture', () => {
    // Half the positions favour each model equally strongly: the best mix is 50/50.
    const s = sample(
      2000,
      (i) => (i % 2 ? 0.9 : 0.1),
      (i) => (i % 2 ? 0.1 : 0.9),
      () => 0,
    );
    expect(fitMixingWeights(s, 1, 1).markovWeight[0]).toBeCloseTo(0.5, 3);
  });

  it('falls back to the global weight in buckets with too few samples', () => {
    const s = sample(
      1000,
      () => 0.9,
      () => 0.1,
      (i) => (i === 0 ? 1 : 0),
    );
    const w = fitMixingWeights(s, 1, 2, 50);
    expect(w.markovWeight[1]).toBe(w.markovWeight[0]);
  });

  it('buckets by history length and log-4 evidence, capped', () => {
    const shape = { lengthBuckets: 3, evidenceBuckets: 4 };
    expect(bucketOf(shape, 1, 0)).toBe(0);
    expect(bucketOf(shape, 1, 1)).toBe(1);
    expect(bucketOf(shape, 2, 4)).toBe(4 + 2);
    expect(bucketOf(shape, 9, 1e9)).toBe(2 * 4 + 3);
    expect(markovOnly(2, 2).markovWeight).toEqual([1, 1, 1, 1]);
  });
});
