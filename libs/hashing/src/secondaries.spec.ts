import { assignShards } from './rendezvous';
import { secondaryOwners } from './secondaries';

const nodes = (n: number) => Array.from({ length: n }, (_, i) => `node-${i + 1}`);

describe('secondaryOwners (where each shard goes if its owner dies)', () => {
  it('is exactly the rebalancer target after the owner is removed, for every owner', () => {
    for (const n of [2, 3, 5]) {
      const live = nodes(n);
      const owners = assignShards(256, live, 1.25);
      const secondaries = secondaryOwners(256, owners, live, 1.25);
      for (const dead of live) {
        const after = assignShards(
          256,
          live.filter((x) => x !== dead),
          1.25,
        );
        owners.forEach((owner, shard) => {
          if (owner === dead) expect([shard, secondaries[shard]]).toEqual([shard, after[shard]]);
        });
      }
    }
  });

  it('never names the owner itself, and names a live node for every shard when two or more are live', () => {
    const live = nodes(4);
    const owners = assignShards(128, live);
    const secondaries = secondaryOwners(128, owners, live);
    owners.forEach((owner, shard) => {
      expect(secondaries[shard]).not.toBe(owner);
      expect(live).toContain(secondaries[shard]);
    });
  });

  it('follows the owners the view gives, even where they differ from the rendezvous target (a rebalance in progress)', () => {
    const live = nodes(3);
    const owners = assignShards(64, live).map((o, shard) => (shard === 5 ? 'node-3' : o));
    const secondaries = secondaryOwners(64, owners, live);
    expect(secondaries[5]).toBe(assignShards(64, ['node-1', 'node-2'])[5]);
  });

  it('gives the shards of an owner that is no longer live to where the rebalancer is about to move them', () => {
    const live = ['node-1', 'node-2'];
    const target = assignShards(4, live);
    expect(secondaryOwners(4, ['node-1', 'node-2', 'ghost', 'ghost'], live)).toEqual(['node-2', 'node-1', target[2], target[3]]);
  });

  it('gives no secondary to unowned shards, or when no other node is live', () => {
    expect(secondaryOwners(4, ['node-1', 'node-2', null, null], ['node-1', 'node-2'])).toEqual(['node-2', 'node-1', null, null]);
    expect(secondaryOwners(4, ['node-1', 'node-1', 'node-1', 'node-1'], ['node-1'])).toEqual([null, null, null, null]);
    expect(secondaryOwners(2, ['node-1', 'node-2'], [])).toEqual([null, null]);
  });

  it('uses the load factor the rebalancer uses (the bound changes where shards spill)', () => {
    const live = nodes(3);
    const owners = assignShards(300, live, 1.0);
    const tight = secondaryOwners(300, owners, live, 1.0);
    owners.forEach((owner, shard) => {
      expect(tight[shard]).toBe(
        assignShards(
          300,
          live.filter((x) => x !== owner),
          1.0,
        )[shard],
      );
    });
  });
});
