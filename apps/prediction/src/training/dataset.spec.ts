import { splitByOrder, withTransitions } from './dataset';
import { positionsOf } from './evaluate';

const session = (actions: number[], userId: string | null = null) => ({ userId, actions });

describe('training data', () => {
  const sessions = Array.from({ length: 10 }, (_, i) => session([i, i + 1]));

  it('holds out the last 20% of sessions by order, halved into fit and test', () => {
    const s = splitByOrder(sessions);
    expect(s.train).toEqual(sessions.slice(0, 8));
    expect(s.fit).toEqual([sessions[8]]);
    expect(s.test).toEqual([sessions[9]]);
  });

  it('keeps only sessions with a transition', () => {
    expect(withTransitions([session([1]), session([1, 2]), session([])])).toEqual([session([1, 2])]);
  });

  it('lists every position after the first with its user, up to a limit', () => {
    expect(positionsOf([session([5, 6, 7], 'u')], 10)).toEqual([
      { seq: [5, 6, 7], len: 1, target: 6, userId: 'u' },
      { seq: [5, 6, 7], len: 2, target: 7, userId: 'u' },
    ]);
    expect(positionsOf([session([5, 6, 7]), session([1, 2])], 1)).toHaveLength(1);
  });
});
