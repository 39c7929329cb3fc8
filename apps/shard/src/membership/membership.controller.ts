import type { ShardCommands } from '@foresight/contracts';
import { RpcController, RpcOp } from '@foresight/platform';
import { ShardEndpoint } from '../shard.rpc';
import { MembershipService } from './membership.service';

/** Answers the metadata leader's liveness probe on the subject the node serves on. */
@RpcController()
export class MembershipController {
  constructor(private readonly membership: MembershipService) {}

  @RpcOp(ShardEndpoint.node, 'node.ping')
  ping(): ShardCommands['node.ping']['reply'] {
    return { nodeId: this.membership.nodeId, incarnation: this.membership.incarnation };
  }
}
