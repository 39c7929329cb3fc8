import { assignShards } from './rendezvous';

/**
 * The secondary of every shard: for a shard owned by node N, the node that `assignShards` gives it
 * once N is removed from the live nodes, i.e. the node the rebalancer moves it to if N dies. An
 * owner that is already not live (its lease ran out, the rebalancer has not moved its shards yet)
 * is no different: its shards go to `assignShards(live)`, and that node should hold them warm. One
 * reduced assignment is computed per owner (not per shard).
 *
 * @param owners  current owner per shard (index = shard), as the assignment view says
 * @param live    the live nodes (the rebalancer's input)
 * @returns secondary node per shard, or null for an unowned shard or when no other node is live
 */
export function secondaryOwners(shardCount: number, owners: readonly (string | null)[], live: readonly string[], loadFactor = 1.25): (string | null)[] {
  const liveNodes = [...new Set(live)];
  const reduced = new Map<string, (string | null)[]>();
  const secondaries = new Array<string | null>(shardCount).fill(null);
  for (let shard = 0; shard < shardCount; shard++) {
    const owner = owners[shard];
    if (owner === null || owner === undefined) continue;
    let without = reduced.get(owner);
    if (without === undefined) {
      without = assignShards(
        shardCount,
        liveNodes.filter((n) => n !== owner),
        loadFactor,
      );
      reduced.set(owner, without);
    }
    secondaries[shard] = without[shard] ?? null;
  }
  return secondaries;
}
