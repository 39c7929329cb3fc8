import { Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ErrorCodes,
  ForesightError,
  MetadataCommandSchemas,
  NodeId,
  requestValidators,
  subjects,
  Validator,
  type AssignmentView,
  type HeartbeatReply,
  type MembershipOp,
  type MetadataOp,
  type OwnerView,
  type Subjects,
} from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import type { RpcMeta } from '@foresight/messaging';
import { CONFIG, RpcContext, RpcController, RpcOp, type RpcEndpoint } from '@foresight/platform';
import { MetadataService, type NodeRequest } from './metadata.service';

/** Every metadata command's request schema, compiled once. */
const requests = requestValidators(MetadataCommandSchemas);
const nodeIds = new Validator(NodeId);

/**
 * A membership request: the node id comes from the subject (only that node's NATS user may publish
 * there, ADR 0005), never from the body.
 */
export function nodeRequest(s: Subjects, op: MembershipOp, raw: unknown, meta: RpcMeta): NodeRequest {
  const nodeId = s.nodeIdOfMembership(meta.subject, op);
  if (nodeId === undefined || !nodeIds.is(nodeId)) {
    throw new ForesightError(
      ErrorCodes.VALIDATION,
      `A ${op} request must be sent on ${s.namespace}.rpc.metadata.node.<nodeId>.${op} (node id: 1-64 letters, digits, _ and -).`,
    );
  }
  const { incarnation } = requests[op].parse(raw);
  const appliedVersion = op === 'heartbeat' ? requests.heartbeat.parse(raw).appliedVersion : undefined;
  const handoff = op === 'leave' ? requests.leave.parse(raw).handoff === true : false;
  // Only the fields read here: a "nodeId" in the body must never stand in for the subject's.
  return { nodeId, incarnation, ...(appliedVersion !== undefined ? { appliedVersion } : {}), ...(handoff ? { handoff } : {}) };
}

/**
 * One endpoint per operation, every instance in the `metadata` queue group: the subject names the
 * operation, so a request allowed on one subject cannot reach another operation through its Fs-Op header.
 */
export function metadataEndpoints(namespace: string): Record<MetadataOp | MembershipOp, RpcEndpoint> {
  const s = subjects(namespace);
  const queue = 'metadata';
  return {
    assignment: { subject: s.metadataRpc('assignment'), queue },
    owner: { subject: s.metadataRpc('owner'), queue },
    register: { subject: s.membershipRpcWildcard('register'), queue },
    heartbeat: { subject: s.membershipRpcWildcard('heartbeat'), queue },
    leave: { subject: s.membershipRpcWildcard('leave'), queue },
  };
}

/** The metadata service's request/reply API. */
@RpcController()
export class MetadataRpcController {
  private readonly s: Subjects;

  constructor(
    private readonly metadata: MetadataService,
    @Inject(CONFIG) config: ForesightConfig,
  ) {
    this.s = subjects(config.nats.namespace);
  }

  @RpcOp('assignment', 'assignment')
  async assignment(): Promise<AssignmentView> {
    return this.metadata.assignment();
  }

  @RpcOp('owner', 'owner')
  async owner(@Payload() raw: unknown): Promise<OwnerView> {
    return this.metadata.owner(requests.owner.parse(raw).sessionId);
  }

  @RpcOp('register', 'register')
  async register(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Promise<HeartbeatReply> {
    return this.metadata.register(nodeRequest(this.s, 'register', raw, ctx.meta));
  }

  @RpcOp('heartbeat', 'heartbeat')
  async heartbeat(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Promise<HeartbeatReply> {
    return this.metadata.heartbeat(nodeRequest(this.s, 'heartbeat', raw, ctx.meta));
  }

  @RpcOp('leave', 'leave')
  async leave(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Promise<{ ok: true }> {
    return this.metadata.leave(nodeRequest(this.s, 'leave', raw, ctx.meta));
  }
}
