import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ErrorCodes, ForesightError, subjects, type AssignmentView, type HeartbeatReply, type MetadataCommands, type OwnerView } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { serveRpc } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { CONFIG, LOGGER, NATS } from '@foresight/platform';
import type { NatsConnection, Subscription } from 'nats';
import { ClusterEventsPublisher } from './assignment/cluster-events.publisher';
import { RebalancerService } from './assignment/rebalancer.service';
import { ShardsRepository } from './assignment/shards.repository';
import { NodesRepository } from './nodes/nodes.repository';

type Req<K extends keyof MetadataCommands> = MetadataCommands[K]['request'];

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

function nodeRequest(raw: unknown): { nodeId: string; incarnation: string } {
  const r = raw as Partial<Req<'heartbeat'>> | null;
  if (!r || typeof r.nodeId !== 'string' || !NODE_ID.test(r.nodeId) || typeof r.incarnation !== 'string' || r.incarnation.length > 64) {
    throw new ForesightError(ErrorCodes.VALIDATION, 'nodeId (letters, digits, _ and -) and incarnation (string) are required.');
  }
  return { nodeId: r.nodeId, incarnation: r.incarnation };
}

/** The metadata service's request/reply API; every instance answers in one queue group (S4). */
@Injectable()
export class MetadataRpc implements OnApplicationBootstrap, OnModuleDestroy {
  private sub: Subscription | null = null;

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
    this.sub = serveRpc(
      this.nc,
      `${s.namespace}.rpc.metadata.>`,
      {
        register: (r) => this.register(r),
        heartbeat: (r) => this.heartbeat(r),
        leave: (r) => this.leave(r),
        assignment: () => this.assignment(),
        owner: (r) => this.owner(r),
      },
      { queue: 'metadata', logger: this.logger },
    );
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  private async register(raw: unknown): Promise<HeartbeatReply> {
    const { nodeId, incarnation } = nodeRequest(raw);
    const rpcSubject = (raw as Req<'register'>).rpcSubject;
    if (typeof rpcSubject !== 'string' || rpcSubject.length === 0) throw new ForesightError(ErrorCodes.VALIDATION, 'rpcSubject is required.');
    const { newIncarnation } = await this.nodes.register(nodeId, incarnation, rpcSubject, this.config.cluster.leaseMs);
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

  private async heartbeat(raw: unknown): Promise<HeartbeatReply> {
    const { nodeId, incarnation } = nodeRequest(raw);
    const alive = await this.nodes.heartbeat(nodeId, incarnation, this.config.cluster.leaseMs);
    const applied = (raw as Req<'heartbeat'>).appliedVersion;
    if (alive && typeof applied === 'number' && Number.isSafeInteger(applied) && applied >= 0) await this.releaseHandoffs(nodeId, applied);
    return { leaseMs: this.config.cluster.leaseMs, assignmentVersion: await this.shards.version(), status: alive ? 'active' : 'unknown' };
  }

  /** Ends the handoffs `nodeId` no longer blocks; their new owners hear of it through the notice. */
  private async releaseHandoffs(nodeId: string, appliedVersion: number | undefined): Promise<void> {
    const version = await this.shards.releaseHandoffs(nodeId, appliedVersion);
    if (version === null) return;
    this.logger.debug({ nodeId, appliedVersion, version }, 'handoff released');
    this.events.notice(version);
  }

  private async leave(raw: unknown): Promise<{ ok: true }> {
    const { nodeId, incarnation } = nodeRequest(raw);
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
    const sessionId = (raw as Partial<Req<'owner'>> | null)?.sessionId;
    if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > 128) {
      throw new ForesightError(ErrorCodes.VALIDATION, 'sessionId (string) is required.');
    }
    const shard = shardOf(sessionId, this.config.cluster.shardCount);
    const row = await this.shards.ownerOf(shard);
    return { sessionId, shard, nodeId: row?.nodeId ?? null, epoch: row?.epoch ?? 0 };
  }
}
