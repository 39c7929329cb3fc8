import { positionsOf, splitByOrder, withTransitions } from './dataset';

describe('training data', () => {
  const sessions = Array.from({ length: 10 }, (_, i) => [i, i + 1]);

  it('holds out the last 20% of sessions by order, halved into fit and test', () => {
    const s = splitByOrder(sessions);
    expect(s.train).toEqual(sessions.slice(0, 8));
    expect(s.fit).toEqual([sessions[8]]);
    expect(s.test).toEqual([sessions[9]]);
  });

  it('keeps only sessions with a transition', () => {
    expect(withTransitions([[1], [1, 2], []])).toEqual([[1, 2]]);
  });

  it('lists every position after the first, up to a limit', () => {
    expect(positionsOf([[5, 6, 7]], 10)).toEqual([
      { seq: [5, 6, 7], len: 1, target: 6 },
      { seq: [5, 6, 7], len: 2, target: 7 },
    ]);
    expect(
      positionsOf(
        [
          [5, 6, 7],
          [1, 2],
        ],
        1,
      ),
    ).toHaveLength(1);
  });
});
