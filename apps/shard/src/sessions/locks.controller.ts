import { Ctx, Payload } from '@nestjs/microservices';
import type { ShardCommands, ShardOp } from '@foresight/contracts';
import { RpcContext, RpcController, RpcOp } from '@foresight/platform';
import { ShardEndpoint } from '../shard.rpc';
import { LockOps } from './lock-ops';

type Reply<K extends ShardOp> = Promise<ShardCommands[K]['reply']>;

/** The session lock ops on the node's subject, as Nest handlers (the logic is {@link LockOps}'). */
@RpcController()
export class LocksController {
  constructor(private readonly ops: LockOps) {}

  @RpcOp(ShardEndpoint.node, 'lock.acquire')
  acquire(@Payload() body: unknown, @Ctx() ctx: RpcContext): Reply<'lock.acquire'> {
    return this.ops.acquire(body, ctx.meta);
  }

  @RpcOp(ShardEndpoint.node, 'lock.release')
  release(@Payload() body: unknown): Reply<'lock.release'> {
    return this.ops.release(body);
  }

  @RpcOp(ShardEndpoint.node, 'lock.status')
  status(@Payload() body: unknown): Reply<'lock.status'> {
    return this.ops.status(body);
  }

  @RpcOp(ShardEndpoint.node, 'locks.renew')
  renew(@Payload() body: unknown): Reply<'locks.renew'> {
    return this.ops.renew(body);
  }
}
