import type { Envelope } from './envelope';

export interface ShardMove {
  readonly shard: number;
  readonly from: string | null;
  readonly to: string | null;
  /** The fencing epoch the new owner must carry on every append. */
  readonly epoch: number;
}

/** Published by the metadata leader after it committed one rebalancing round. */
export type ShardOwnersChangedV1 = Envelope<'cluster.shard_owners_changed', 1, { readonly moves: readonly ShardMove[] }>;

export type NodeJoinedV1 = Envelope<'cluster.node_joined', 1, { readonly nodeId: string; readonly incarnation: string }>;

/** `detectedBy`: the failure detector ended the lease early (absent when the lease ran out or the node left). */
export type NodeLeftV1 = Envelope<
  'cluster.node_left',
  1,
  { readonly nodeId: string; readonly reason: 'graceful' | 'lease_expired'; readonly detectedBy?: NodeFailureSignal }
>;
/** How the failure detector knew: nobody subscribed to the node's probe subject, or no answer for the suspicion window. */
export type NodeFailureSignal = 'no_responders' | 'silent';

export type ClusterEvent = ShardOwnersChangedV1 | NodeJoinedV1 | NodeLeftV1;
export type ClusterEventType = ClusterEvent['type'];
export const CLUSTER_EVENT_TYPES: readonly ClusterEventType[] = ['cluster.shard_owners_changed', 'cluster.node_joined', 'cluster.node_left'];
