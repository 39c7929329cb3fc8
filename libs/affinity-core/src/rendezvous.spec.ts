import { plainRendezvous, weightedRendezvous } from './rendezvous';

const keys = Array.from({ length: 20_000 }, (_, i) => `session-${i}`);

function shares(edges: { edgeId: string; score: number }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) {
    const e = weightedRendezvous(k, edges)!;
    counts.set(e, (counts.get(e) ?? 0) + 1);
  }
  return new Map([...counts].map(([e, n]) => [e, n / keys.length]));
}

describe('weighted rendezvous', () => {
  it('gives each edge a share of keys proportional to its score', () => {
    const s = shares([
      { edgeId: 'a', score: 1 },
      { edgeId: 'b', score: 2 },
      { edgeId: 'c', score: 1 },
    ]);
    expect(s.get('a')).toBeCloseTo(0.25, 1);
    expect(s.get('b')).toBeCloseTo(0.5, 1);
    expect(s.get('c')).toBeCloseTo(0.25, 1);
  });

  it('moves only the keys of a removed edge', () => {
    const all = ['a', 'b', 'c', 'd'];
    const without = ['a', 'b', 'd'];
    for (const k of keys.slice(0, 2000)) {
      const before = plainRendezvous(k, all)!;
      const after = plainRendezvous(k, without)!;
      if (before !== 'c') expect(after).toBe(before);
    }
  });

  it('is independent of the order of the candidates and skips edges scored 0', () => {
    const edges = [
      { edgeId: 'x', score: 1 },
      { edgeId: 'y', score: 3 },
      { edgeId: 'z', score: 0 },
    ];
    for (const k of keys.slice(0, 500)) {
      expect(weightedRendezvous(k, edges)).toBe(weightedRendezvous(k, [...edges].reverse()));
      expect(weightedRendezvous(k, edges)).not.toBe('z');
    }
    expect(weightedRendezvous('k', [{ edgeId: 'z', score: 0 }])).toBeUndefined();
    expect(weightedRendezvous('k', [])).toBeUndefined();
  });
});
