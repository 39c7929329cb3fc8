import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
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
  type OwnerView,
  type Subjects,
} from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { serveRpc, type RpcHandler, type RpcMeta } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { CONFIG, LOGGER, NATS } from '@foresight/platform';
import type { NatsConnection, Subscription } from 'nats';
import { ClusterEventsPublisher } from './assignment/cluster-events.publisher';
import { RebalancerService } from './assignment/rebalancer.service';
import { ShardsRepository } from './assignment/shards.repository';
import { NodesRepository } from './nodes/nodes.repository';

/** Every metadata command's request schema, compiled once. */
const requests = requestValidators(MetadataCommandSchemas);
const nodeIds = new Validator(NodeId);

/**
 * A membership request: the node id comes from the subject (only that node's NATS user may publish
 * there, ADR 0005), never from the body.
 */
export function nodeRequest(s: Subjects, op: MembershipOp, raw: unknown, meta: RpcMeta): { nodeId: string; incarnation: string; appliedVersion?: number } {
  const nodeId = s.nodeIdOfMembership(meta.subject, op);
  if (nodeId === undefined || !nodeIds.is(nodeId)) {
    throw new ForesightError(ErrorCodes.VALIDATION, `A ${op} request must be sent on ${s.namespace}.rpc.metadata.node.<nodeId>.${op} (node id: 1-64 letters, digits, _ and -).`);
  }
  const { incarnation } = requests[op].parse(raw);
  const appliedVersion = op === 'heartbeat' ? requests.heartbeat.parse(raw).appliedVersion : undefined;
  // Only the fields read here: a "nodeId" in the body must never stand in for the subject's.
  return { nodeId, incarnation, ...(appliedVersion !== undefined ? { appliedVersion } : {}) };
}

/** The metadata service's request/reply API; every instance answers in one queue group (S4). */
@Injectable()
export class MetadataRpc implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];

  constructor(
    private readonly nodes: NodesRepository,
    private readonly shards: ShardsRepository,
    private readonly rebalancer: RebalancerService,
    private readonly events: ClusterEventsPublisher,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const s = subjects(this.config.nats.namespace);
    const options = { queue: 'metadata', logger: this.logger };
    // One subscription per operation: the subject names the operation, so a request allowed on one
    // subject cannot reach another operation through its Fs-Op header.
    const serve = (subject: string, op: string, handler: RpcHandler) => this.subs.push(serveRpc(this.nc, subject, { [op]: handler }, options));
    serve(s.metadataRpc('assignment'), 'assignment', async () => this.assignment());
    serve(s.metadataRpc('owner'), 'owner', async (r) => this.owner(r));
    serve(s.membershipRpcWildcard('register'), 'register', async (r, m) => this.register(nodeRequest(s, 'register', r, m), s));
    serve(s.membershipRpcWildcard('heartbeat'), 'heartbeat', async (r, m) => this.heartbeat(nodeRequest(s, 'heartbeat', r, m)));
    serve(s.membershipRpcWildcard('leave'), 'leave', async (r, m) => this.leave(nodeRequest(s, 'leave', r, m)));
  }

  onModuleDestroy(): void {
    for (const sub of this.subs) sub.unsubscribe();
    this.subs = [];
  }

  /**
   * A node's RPC subject is derived from its id, never declared by it. A node id that is live under
   * another incarnation is refused (NODE.INCARNATION_CONFLICT): a restarted node gets in once its
   * previous incarnation's lease has run out or it has left.
   */
  private async register({ nodeId, incarnation }: { nodeId: string; incarnation: string }, s: Subjects): Promise<HeartbeatReply> {
    const outcome = await this.nodes.register(nodeId, incarnation, s.shardRpc(nodeId), this.config.cluster.leaseMs);
    if (outcome.refused) {
      throw new ForesightError(
        ErrorCodes.NODE_INCARNATION_CONFLICT,
        `Node ${nodeId} is live under another incarnation for ${outcome.leaseLeftMs} ms more; a restarted node can register once that lease has run out.`,
        { nodeId, retryAfterMs: outcome.leaseLeftMs },
      );
    }
    const { newIncarnation } = outcome;
    // A node registers at start or after dropping every shard: it serves nothing it may have lost.
    await this.releaseHandoffs(nodeId, undefined);
    if (newIncarnation) {
      this.logger.info({ nodeId, incarnation }, 'node joined');
      const refenced = await this.shards.refence(nodeId);
      if (refenced.length > 0) await this.events.ownersChanged(refenced, await this.shards.version());
      void this.events.nodeJoined(nodeId, incarnation);
    }
    this.rebalancer.trigger();
    return { leaseMs: this.config.cluster.leaseMs, assignmentVersion: await this.shards.version(), status: 'active' };
  }

  private async heartbeat({ nodeId, incarnation, appliedVersion }: { nodeId: string; incarnation: string; appliedVersion?: number }): Promise<HeartbeatReply> {
    const alive = await this.nodes.heartbeat(nodeId, incarnation, this.config.cluster.leaseMs);
    if (alive && appliedVersion !== undefined) await this.releaseHandoffs(nodeId, appliedVersion);
    return { leaseMs: this.config.cluster.leaseMs, assignmentVersion: await this.shards.version(), status: alive ? 'active' : 'unknown' };
  }

  /** Ends the handoffs `nodeId` no longer blocks; their new owners hear of it through the notice. */
  private async releaseHandoffs(nodeId: string, appliedVersion: number | undefined): Promise<void> {
    const version = await this.shards.releaseHandoffs(nodeId, appliedVersion);
    if (version === null) return;
    this.logger.debug({ nodeId, appliedVersion, version }, 'handoff released');
    this.events.notice(version);
  }

  private async leave({ nodeId, incarnation }: { nodeId: string; incarnation: string }): Promise<{ ok: true }> {
    if (await this.nodes.leave(nodeId, incarnation)) {
      this.logger.info({ nodeId }, 'node left');
      void this.events.nodeLeft(nodeId, 'graceful');
      this.rebalancer.trigger();
    }
    return { ok: true };
  }

  private async assignment(): Promise<AssignmentView> {
    const [{ version, shards }, nodes] = await Promise.all([this.shards.current(), this.nodes.all()]);
    return { shardCount: this.config.cluster.shardCount, version, shards, nodes };
  }

  private async owner(raw: unknown): Promise<OwnerView> {
    const { sessionId } = requests.owner.parse(raw);
    const shard = shardOf(sessionId, this.config.cluster.shardCount);
    const row = await this.shards.ownerOf(shard);
    return { sessionId, shard, nodeId: row?.nodeId ?? null, epoch: row?.epoch ?? 0 };
  }
}
