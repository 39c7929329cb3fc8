import { Ctx, Payload } from '@nestjs/microservices';
import type { CacheRequirementsCommands } from '@foresight/contracts';
import { RpcContext, RpcController, RpcOp } from '@foresight/platform';
import { ShardEndpoint } from '../../shard.rpc';
import { RequirementsService } from './requirements.service';

type Reply<K extends keyof CacheRequirementsCommands> = CacheRequirementsCommands[K]['reply'];

/** `put` / `list` of declared data requirements, answered by any one node (queue group). */
@RpcController()
export class RequirementsController {
  constructor(private readonly requirements: RequirementsService) {}

  @RpcOp(ShardEndpoint.requirements, 'put')
  put(@Payload() body: unknown, @Ctx() ctx: RpcContext): Promise<Reply<'put'>> {
    return this.requirements.put(body, ctx.meta);
  }

  @RpcOp(ShardEndpoint.requirements, 'list')
  list(): Reply<'list'> {
    return this.requirements.list();
  }
}
