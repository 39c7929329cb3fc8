import { shardOf } from './hash';
import { assignShards } from './rendezvous';

const nodes = (n: number) => Array.from({ length: n }, (_, i) => `node-${i + 1}`);
/** Shards whose owner differs between two assignments. */
const changedShards = (before: readonly (string | null)[], after: readonly (string | null)[]) =>
  after.flatMap((owner, shard) => (before[shard] !== owner ? [shard] : []));
const loads = (owners: readonly (string | null)[]) => {
  const m = new Map<string, number>();
  for (const o of owners) if (o) m.set(o, (m.get(o) ?? 0) + 1);
  return m;
};

describe('assignShards (rendezvous with bounded load)', () => {
  it('gives every shard an owner and respects the load bound', () => {
    for (const n of [1, 2, 3, 5, 8]) {
      const owners = assignShards(1024, nodes(n), 1.25);
      expect(owners.every((o) => o !== null)).toBe(true);
      const bound = Math.ceil((1.25 * 1024) / n);
      for (const count of loads(owners).values()) expect(count).toBeLessThanOrEqual(bound);
      expect(loads(owners).size).toBe(n);
    }
  });

  it('is deterministic and independent of node order', () => {
    expect(assignShards(256, ['c', 'a', 'b'])).toEqual(assignShards(256, ['a', 'b', 'c']));
  });

  it('moves about 1/N of the shards when a node joins', () => {
    for (const n of [2, 4, 8]) {
      const before = assignShards(1024, nodes(n));
      const after = assignShards(1024, nodes(n + 1));
      const moved = changedShards(before, after).length / 1024;
      const ideal = 1 / (n + 1);
      expect(moved).toBeGreaterThanOrEqual(ideal * 0.7);
      expect(moved).toBeLessThanOrEqual(ideal * 1.6);
      // Every moved shard goes to the new node or was displaced by the load bound, never to a stranger.
    }
  });

  it("moves only the leaving node's shards (plus load-bound spill) when a node leaves", () => {
    const before = assignShards(1024, nodes(5));
    const after = assignShards(
      1024,
      nodes(5).filter((n) => n !== 'node-3'),
    );
    const moved = changedShards(before, after);
    const owned = before.filter((o) => o === 'node-3').length;
    expect(moved.length).toBeGreaterThanOrEqual(owned);
    expect(moved.length).toBeLessThanOrEqual(owned * 1.6);
    expect(after.includes('node-3')).toBe(false);
  });

  it('compares with hash-mod-N, which moves most shards', () => {
    const modN = (n: number) => Array.from({ length: 1024 }, (_, s) => `node-${(s % n) + 1}`);
    const movedModN = changedShards(modN(4), modN(5)).length / 1024;
    const movedHrw = changedShards(assignShards(1024, nodes(4)), assignShards(1024, nodes(5))).length / 1024;
    expect(movedModN).toBeGreaterThan(0.7);
    expect(movedHrw).toBeLessThan(0.35);
  });

  it('returns null owners when no node is live', () => {
    expect(assignShards(4, [])).toEqual([null, null, null, null]);
  });
});

describe('shardOf', () => {
  it('spreads ids evenly over shards', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOf(`s_${i}_${i * 7919}`, 16)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});
