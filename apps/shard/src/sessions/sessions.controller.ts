import { Ctx, Payload } from '@nestjs/microservices';
import type { ShardCommands, ShardOp } from '@foresight/contracts';
import { RpcContext, RpcController, RpcOp } from '@foresight/platform';
import { ShardEndpoint } from '../shard.rpc';
import { SessionOps } from './session-ops';

type Reply<K extends ShardOp> = Promise<ShardCommands[K]['reply']>;

/** The session and variable ops on the node's subject, as Nest handlers (the logic is {@link SessionOps}'). */
@RpcController()
export class SessionsController {
  constructor(private readonly ops: SessionOps) {}

  @RpcOp(ShardEndpoint.node, 'session.create')
  create(@Payload() body: unknown, @Ctx() ctx: RpcContext): Reply<'session.create'> {
    return this.ops.create(body, ctx.meta);
  }

  @RpcOp(ShardEndpoint.node, 'session.get')
  get(@Payload() body: unknown): Reply<'session.get'> {
    return this.ops.get(body);
  }

  @RpcOp(ShardEndpoint.node, 'session.end')
  end(@Payload() body: unknown, @Ctx() ctx: RpcContext): Reply<'session.end'> {
    return this.ops.end(body, ctx.meta);
  }

  @RpcOp(ShardEndpoint.node, 'var.get')
  varGet(@Payload() body: unknown): Reply<'var.get'> {
    return this.ops.varGet(body);
  }

  @RpcOp(ShardEndpoint.node, 'var.put')
  varPut(@Payload() body: unknown, @Ctx() ctx: RpcContext): Reply<'var.put'> {
    return this.ops.varPut(body, ctx.meta);
  }

  @RpcOp(ShardEndpoint.node, 'var.patch')
  varPatch(@Payload() body: unknown, @Ctx() ctx: RpcContext): Reply<'var.patch'> {
    return this.ops.varPatch(body, ctx.meta);
  }

  @RpcOp(ShardEndpoint.node, 'var.delete')
  varDelete(@Payload() body: unknown, @Ctx() ctx: RpcContext): Reply<'var.delete'> {
    return this.ops.varDelete(body, ctx.meta);
  }

  @RpcOp(ShardEndpoint.node, 'session.record_action')
  recordAction(@Payload() body: unknown, @Ctx() ctx: RpcContext): Reply<'session.record_action'> {
    return this.ops.recordAction(body, ctx.meta);
  }

  @RpcOp(ShardEndpoint.node, 'sessions.touch')
  touch(@Payload() body: unknown): Reply<'sessions.touch'> {
    return this.ops.touch(body);
  }
}
