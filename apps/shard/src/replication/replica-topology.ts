import type { AssignmentView } from '@foresight/contracts';
import { secondaryOwners } from '@foresight/hashing';

/** One node's part in replication under an assignment. */
export interface ReplicaTopology {
  /** Where each shard this node owns is pushed (shards without a secondary are absent). */
  readonly secondaryOf: ReadonlyMap<number, string>;
  /** Shards this node is the secondary of (it follows them). */
  readonly following: ReadonlySet<number>;
  /** Shards this node owns. */
  readonly owned: ReadonlySet<number>;
  /** The epoch of each shard this node owns: a shard lost and regained between two views shows as a new epoch. */
  readonly epochs?: ReadonlyMap<number, number>;
}

/**
 * `nodeId`'s part under `view`: live nodes are those with status `active` (the rebalancer's live
 * set), and each shard's secondary is where the rebalancer would move it if its owner died.
 */
export function replicaTopology(view: AssignmentView, nodeId: string, loadFactor: number): ReplicaTopology {
  const owners = new Array<string | null>(view.shardCount).fill(null);
  const epochs = new Map<number, number>();
  for (const s of view.shards) {
    if (s.shard < 0 || s.shard >= view.shardCount) continue;
    owners[s.shard] = s.nodeId ?? null;
    if (s.nodeId === nodeId) epochs.set(s.shard, s.epoch);
  }
  const live = view.nodes.filter((n) => n.status === 'active').map((n) => n.nodeId);
  const secondaries = secondaryOwners(view.shardCount, owners, live, loadFactor);
  const secondaryOf = new Map<number, string>();
  const following = new Set<number>();
  const owned = new Set<number>();
  owners.forEach((owner, shard) => {
    const secondary = secondaries[shard];
    if (owner === nodeId) {
      owned.add(shard);
      if (secondary) secondaryOf.set(shard, secondary);
    } else if (secondary === nodeId) following.add(shard);
  });
  return { secondaryOf, following, owned, epochs };
}
