import { MostPopularPredictor } from './popularity';

describe('MostPopularPredictor', () => {
  it('ranks by frequency with add-one smoothing, ignoring the history', () => {
    const m = new MostPopularPredictor(4);
    m.observeSession([1, 2, 2, 3, 2, 3]);
    // counts: 2→3, 3→2, (first action is not a transition target); V = 4, N = 5
    expect(m.predict([9, 9], 4)).toEqual([
      { action: 2, p: 4 / 9 },
      { action: 3, p: 3 / 9 },
      { action: 0, p: 1 / 9 },
      { action: 1, p: 1 / 9 },
    ]);
    const out = new Float64Array(4);
    m.distribution([], out);
    expect(out.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
  });
});
