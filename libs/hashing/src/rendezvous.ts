import { fmix32, fnv1a32 } from './hash';

/** Highest-random-weight score of `node` for `key` (both pre-hashed). */
function score(keyHash: number, nodeHash: number): number {
  return fmix32(nodeHash ^ fmix32(keyHash + 0x9e3779b9));
}

/**
 * Assigns `shardCount` virtual shards to `nodes` by rendezvous hashing with bounded load:
 * each shard goes to its highest-weight node that still has room, where room is
 * ceil(loadFactor · shardCount / nodes). The result depends only on the node set, so every
 * metadata instance computes the same table, and a join or leave moves about 1/N of the shards.
 *
 * @returns owner node per shard (index = shard), or null for every shard when no node is live.
 */
export function assignShards(shardCount: number, nodes: readonly string[], loadFactor = 1.25): (string | null)[] {
  if (loadFactor < 1) throw new RangeError('loadFactor must be at least 1');
  const live = [...new Set(nodes)].sort();
  if (live.length === 0) return new Array<string | null>(shardCount).fill(null);
  const capacity = Math.ceil((loadFactor * shardCount) / live.length);
  const nodeHashes = live.map(fnv1a32);
  const load = new Array<number>(live.length).fill(0);
  const owners = new Array<string | null>(shardCount);
  const order = live.map((_, i) => i);
  for (let shard = 0; shard < shardCount; shard++) {
    const weights = nodeHashes.map((h) => score(shard, h));
    order.sort((a, b) => weights[b] - weights[a] || a - b);
    const chosen = order.find((i) => load[i] < capacity) ?? order[0];
    load[chosen]++;
    owners[shard] = live[chosen];
  }
  return owners;
}
