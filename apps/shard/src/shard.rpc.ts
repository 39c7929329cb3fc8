import { CACHE_REQUIREMENTS_QUEUE, cacheSubjects, subjects } from '@foresight/contracts';
import type { RpcEndpoint } from '@foresight/platform';

/** The endpoint names `@RpcOp` handlers use. */
export const ShardEndpoint = {
  /** This node's own subject: session, variable and data ops for the sessions of its shards. */
  node: 'shard',
  /** Shared by every node in one queue group: declared data requirements. */
  requirements: 'cache-requirements',
} as const;

/** Where each endpoint listens: `<ns>.rpc.shard.<nodeId>`, and `<ns>.rpc.cache.requirements` in its queue group. */
export function shardEndpoints(namespace: string, nodeId: string): Record<string, RpcEndpoint> {
  return {
    [ShardEndpoint.node]: { subject: subjects(namespace).shardRpc(nodeId) },
    [ShardEndpoint.requirements]: { subject: cacheSubjects(namespace).requirementsRpc, queue: CACHE_REQUIREMENTS_QUEUE },
  };
}
