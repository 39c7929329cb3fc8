import { assignShards } from './rendezvous';

/**
 * The secondary of every shard: for a shard owned by node N, the node that `assignShards` gives it
 * once N is gone, i.e. the node the rebalancer moves it to if N dies. One reduced assignment is
 * computed per owner (not per shard), so the cost is that of one assignment per live owner.
 *
 * @param owners  current owner per shard (index = shard), as the assignment view says
 * @param live    the live nodes (the rebalancer's input)
 * @returns secondary node per shard, or null where the owner is not live or no other node is
 */
export function secondaryOwners(shardCount: number, owners: readonly (string | null)[], live: readonly string[], loadFactor = 1.25): (string | null)[] {
  const liveSet = new Set(live);
  const reduced = new Map<string, (string | null)[]>();
  const secondaries = new Array<string | null>(shardCount).fill(null);
  for (let shard = 0; shard < shardCount; shard++) {
    const owner = owners[shard];
    if (owner === null || owner === undefined || !liveSet.has(owner)) continue;
    let without = reduced.get(owner);
    if (without === undefined) {
      without = assignShards(
        shardCount,
        [...liveSet].filter((n) => n !== owner),
        loadFactor,
      );
      reduced.set(owner, without);
    }
    secondaries[shard] = without[shard] ?? null;
  }
  return secondaries;
}
