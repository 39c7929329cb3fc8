import { Payload } from '@nestjs/microservices';
import type { ShardCommands } from '@foresight/contracts';
import { RpcController, RpcOp } from '@foresight/platform';
import { ShardEndpoint } from '../shard.rpc';
import { CacheOps } from './cache-ops';

type Reply<K extends keyof ShardCommands> = ShardCommands[K]['reply'];

/** The predictive cache's ops on the node's subject, as Nest handlers (the logic is {@link CacheOps}'). */
@RpcController()
export class CacheController {
  constructor(private readonly ops: CacheOps) {}

  @RpcOp(ShardEndpoint.node, 'data.get')
  get(@Payload() body: unknown): Promise<Reply<'data.get'>> {
    return this.ops.get(body);
  }

  @RpcOp(ShardEndpoint.node, 'data.prefetch')
  prefetch(@Payload() body: unknown): Promise<Reply<'data.prefetch'>> {
    return this.ops.prefetch(body);
  }

  @RpcOp(ShardEndpoint.node, 'data.stats')
  sessionStats(@Payload() body: unknown): Promise<Reply<'data.stats'>> {
    return this.ops.sessionStats(body);
  }

  @RpcOp(ShardEndpoint.node, 'cache.stats')
  nodeStats(): Reply<'cache.stats'> {
    return this.ops.nodeStats();
  }
}
