import { ErrorCodes, ForesightError, subjects, type AssignmentView, type HeartbeatReply, type OwnerView, type Subjects } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import type { Logger } from '@foresight/observability';
import type { ClusterEventsPublisher } from './assignment/cluster-events.publisher';
import type { RebalancerService } from './assignment/rebalancer.service';
import type { ShardsRepository } from './assignment/shards.repository';
import type { NodesRepository } from './nodes/nodes.repository';

export interface MetadataServiceDeps {
  readonly nodes: NodesRepository;
  readonly shards: ShardsRepository;
  readonly rebalancer: RebalancerService;
  readonly events: ClusterEventsPublisher;
  readonly config: ForesightConfig;
  readonly logger: Logger;
}

/** A membership request, its node id taken from the subject (see `nodeRequest`). */
export interface NodeRequest {
  readonly nodeId: string;
  readonly incarnation: string;
  readonly appliedVersion?: number;
  /** On leave: stay live until the shards are handed over (see `leave`). */
  readonly handoff?: boolean;
}

/** What the metadata service answers: the assignment, a session's owner, and node membership. */
export class MetadataService {
  private readonly s: Subjects;
  private readonly nodes: NodesRepository;
  private readonly shards: ShardsRepository;
  private readonly rebalancer: RebalancerService;
  private readonly events: ClusterEventsPublisher;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;

  constructor(deps: MetadataServiceDeps) {
    this.nodes = deps.nodes;
    this.shards = deps.shards;
    this.rebalancer = deps.rebalancer;
    this.events = deps.events;
    this.config = deps.config;
    this.logger = deps.logger;
    this.s = subjects(deps.config.nats.namespace);
  }

  /**
   * A node's RPC subject is derived from its id, never declared by it. A node id that is live under
   * another incarnation is refused (NODE.INCARNATION_CONFLICT): a restarted node gets in once its
   * previous incarnation's lease has run out or it has left.
   */
  async register({ nodeId, incarnation }: NodeRequest): Promise<HeartbeatReply> {
    const outcome = await this.nodes.register(nodeId, incarnation, this.s.shardRpc(nodeId), this.config.cluster.leaseMs);
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
    return { ...this.leaseTerms(), assignmentVersion: await this.shards.version(), status: 'active' };
  }

  async heartbeat({ nodeId, incarnation, appliedVersion }: NodeRequest): Promise<HeartbeatReply> {
    const alive = await this.nodes.heartbeat(nodeId, incarnation, this.config.cluster.leaseMs);
    if (alive && appliedVersion !== undefined) await this.releaseHandoffs(nodeId, appliedVersion);
    return { ...this.leaseTerms(), assignmentVersion: await this.shards.version(), status: alive ? 'active' : 'unknown' };
  }

  /** The lease, and the shorter window a node may serve in when the failure detector runs. */
  private leaseTerms(): Pick<HeartbeatReply, 'leaseMs' | 'suspectAfterMs'> {
    const { leaseMs, probeMs, suspectAfterMs } = this.config.cluster;
    return probeMs > 0 ? { leaseMs, suspectAfterMs } : { leaseMs };
  }

  /**
   * With `handoff`, the node leaves the assignment but stays live: its shards move with a handoff
   * it completes like any other (it pushes its sessions to the new owners, which hold requests
   * until it reports the move applied), then it leaves for good. Without, it leaves at once.
   */
  async leave({ nodeId, incarnation, handoff }: NodeRequest): Promise<{ ok: true }> {
    if (handoff) {
      if (await this.nodes.startLeaving(nodeId, incarnation)) {
        this.logger.info({ nodeId }, 'node leaving: handing its shards over');
        this.rebalancer.trigger();
      }
      return { ok: true };
    }
    if (await this.nodes.leave(nodeId, incarnation)) {
      this.logger.info({ nodeId }, 'node left');
      void this.events.nodeLeft(nodeId, 'graceful');
      this.rebalancer.trigger();
    }
    return { ok: true };
  }

  async assignment(): Promise<AssignmentView> {
    const [{ version, shards }, nodes] = await Promise.all([this.shards.current(), this.nodes.all()]);
    return { shardCount: this.config.cluster.shardCount, version, shards, nodes };
  }

  async owner(sessionId: string): Promise<OwnerView> {
    const shard = shardOf(sessionId, this.config.cluster.shardCount);
    const row = await this.shards.ownerOf(shard);
    return { sessionId, shard, nodeId: row?.nodeId ?? null, epoch: row?.epoch ?? 0 };
  }

  /** Ends the handoffs `nodeId` no longer blocks; their new owners hear of it through the notice. */
  private async releaseHandoffs(nodeId: string, appliedVersion: number | undefined): Promise<void> {
    const version = await this.shards.releaseHandoffs(nodeId, appliedVersion);
    if (version === null) return;
    this.logger.debug({ nodeId, appliedVersion, version }, 'handoff released');
    this.events.notice(version);
  }
}
