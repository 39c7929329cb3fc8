import { Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { ForesightConfig } from '@foresight/config';
import {
  AffinityCommandSchemas,
  affinitySubjects,
  ErrorCodes,
  ForesightError,
  requestValidators,
  type AffinityCommands,
  type AffinityOp,
  type AffinitySubjects,
  type EdgeMembershipOp,
} from '@foresight/contracts';
import type { RpcMeta } from '@foresight/messaging';
import { CONFIG, RpcContext, RpcController, RpcOp, type RpcEndpoint } from '@foresight/platform';
import { AffinityService } from './routing/affinity.service';

type Reply<K extends keyof AffinityCommands> = Promise<AffinityCommands[K]['reply']>;

/** Every affinity command's request schema, compiled once. */
const requests = requestValidators(AffinityCommandSchemas);
const ctxOf = (m: RpcMeta) => ({ correlationId: m.correlationId, causationId: m.causationId || m.correlationId });

/**
 * `<ns>.rpc.affinity.<op>` and the edges' `<ns>.rpc.affinity.edge.<edgeId>.<op>`, every instance in
 * queue group `affinity`. The subject names the operation; the edge id of a membership request is
 * the subject's, never the body's.
 */
export function affinityEndpoints(namespace: string): Record<'affinity' | EdgeMembershipOp, RpcEndpoint> {
  const a = affinitySubjects(namespace);
  const queue = 'affinity';
  return {
    affinity: { subject: `${namespace}.rpc.affinity.*`, queue },
    register: { subject: a.edgeRpcWildcard('register'), queue, defaultOp: 'register' },
    heartbeat: { subject: a.edgeRpcWildcard('heartbeat'), queue, defaultOp: 'heartbeat' },
    leave: { subject: a.edgeRpcWildcard('leave'), queue, defaultOp: 'leave' },
  };
}

/** The affinity service's request/reply API. */
@RpcController()
export class AffinityRpcController {
  private readonly s: AffinitySubjects;

  constructor(
    private readonly affinity: AffinityService,
    @Inject(CONFIG) config: ForesightConfig,
  ) {
    this.s = affinitySubjects(config.nats.namespace);
  }

  @RpcOp('register', 'register')
  async register(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'register'> {
    const edgeId = this.edgeOf(ctx.meta, 'register');
    const { incarnation, url, zone } = requests.register.parse(raw);
    return this.affinity.register(edgeId, incarnation, url, zone);
  }

  @RpcOp('heartbeat', 'heartbeat')
  async heartbeat(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'heartbeat'> {
    const edgeId = this.edgeOf(ctx.meta, 'heartbeat');
    return this.affinity.heartbeat(edgeId, requests.heartbeat.parse(raw).incarnation);
  }

  @RpcOp('leave', 'leave')
  async leave(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'leave'> {
    const edgeId = this.edgeOf(ctx.meta, 'leave');
    return this.affinity.leave(edgeId, requests.leave.parse(raw).incarnation);
  }

  @RpcOp('affinity', 'route')
  async route(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'route'> {
    this.onItsSubject('route', ctx.meta);
    return this.affinity.route(requests.route.parse(raw), ctxOf(ctx.meta));
  }

  @RpcOp('affinity', 'report')
  async report(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'report'> {
    this.onItsSubject('report', ctx.meta);
    const { viaEdgeId, report } = requests.report.parse(raw);
    return this.affinity.report(viaEdgeId, report);
  }

  @RpcOp('affinity', 'weight')
  async weight(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'weight'> {
    this.onItsSubject('weight', ctx.meta);
    const { sessionId, weight } = requests.weight.parse(raw);
    return this.affinity.setWeight(sessionId, weight, ctxOf(ctx.meta));
  }

  @RpcOp('affinity', 'view')
  async view(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'view'> {
    this.onItsSubject('view', ctx.meta);
    requests.view.parse(raw);
    return this.affinity.view();
  }

  @RpcOp('affinity', 'record')
  async record(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'record'> {
    this.onItsSubject('record', ctx.meta);
    return this.affinity.record(requests.record.parse(raw).sessionId);
  }

  private edgeOf(meta: RpcMeta, op: EdgeMembershipOp): string {
    const edgeId = this.s.edgeIdOfMembership(meta.subject, op);
    if (edgeId === undefined)
      throw new ForesightError(
        ErrorCodes.VALIDATION,
        `A ${op} request must be sent on ${this.s.edgeRpcWildcard(op).replace('*', '<edgeId>')} (edge id: 1-64 letters, digits, _ and -).`,
      );
    return edgeId;
  }

  /** NATS permissions are granted per subject: an op must arrive on its own. */
  private onItsSubject(op: AffinityOp, meta: RpcMeta): void {
    if (meta.subject !== this.s.affinityRpc(op))
      throw new ForesightError(ErrorCodes.UNKNOWN_OPERATION, `Operation ${op} must be sent on ${this.s.affinityRpc(op)}.`);
  }
}
