import type { ForesightConfig } from '@foresight/config';
import { subjects, type AssignmentView } from '@foresight/contracts';
import { callRpc } from '@foresight/messaging';
import { histogram, type Logger } from '@foresight/observability';
import { asServiceError, EventStore, SensitiveValues } from '@foresight/persistence';
import { ForesightRpcTransport } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { CacheMetricsService } from './cache/cache-metrics.service';
import { CacheNodeService } from './cache/cache-node.service';
import { CacheOps } from './cache/cache-ops';
import { InvalidationService } from './cache/invalidation.service';
import { ModelFollowerService } from './cache/model-follower.service';
import { LearnedPersistenceService } from './cache/requirements/learned-persistence.service';
import { LearnedRepository } from './cache/requirements/learned.repository';
import { RequirementsRepository } from './cache/requirements/requirements.repository';
import { RequirementsService } from './cache/requirements/requirements.service';
import { ShardEventBus } from './events/shard-events';
import { ExpiryService } from './expiry/expiry.service';
import { MembershipService } from './membership/membership.service';
import { EventPublisherService } from './publishing/event-publisher.service';
import { ReplicaFollower } from './replication/replica-follower';
import { ReplicaHeadsRepository } from './replication/replica-heads.repository';
import { ReplicaPublisher } from './replication/replica-publisher';
import { replicaTopology } from './replication/replica-topology';
import { LockOps } from './sessions/lock-ops';
import { LockRepository } from './sessions/lock.repository';
import { LocksService } from './sessions/locks.service';
import { SessionIndexRepository } from './sessions/session-index.repository';
import { SessionOps } from './sessions/session-ops';
import { SessionsService } from './sessions/sessions.service';
import { ShardEndpoint, shardEndpoints } from './shard.rpc';
import { shardStorePartitions, type ShardStorePartitions } from './store-partitions';
import { TransferService, type MovingSession } from './transfer/transfer.service';

export interface ShardRuntimeDeps {
  readonly config: ForesightConfig;
  readonly pool: Pool;
  readonly nc: NatsConnection;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
}

/**
 * The shard node without Nest: every object of the app, built in dependency order (membership ←
 * sessions ← expiry; the predictive cache beside them, fed by session events), the wiring of the
 * one event bus, and the start-up and shutdown order. Used by the Nest lifecycle and by tests.
 */
export class ShardRuntime {
  readonly events: ShardEventBus;
  readonly store: EventStore;
  /** Where each shard's events, outbox, snapshots, session index and lock records live (one server by default). */
  readonly storePartitions: ShardStorePartitions;
  readonly membership: MembershipService;
  readonly publisher: EventPublisherService;
  readonly index: SessionIndexRepository;
  readonly sessions: SessionsService;
  /** Replication to warm secondaries: this node's pushes as a primary, its copies as a secondary. */
  readonly replicaPublisher: ReplicaPublisher;
  readonly replicaFollower: ReplicaFollower;
  /** Moving sessions with their shards: profile, plan, negotiation with the new owner, push. */
  readonly transfer: TransferService;
  readonly sessionOps: SessionOps;
  /** Session locks with leases; the write path checks them. */
  readonly locks: LocksService;
  readonly lockOps: LockOps;
  readonly expiry: ExpiryService;
  readonly cache: CacheNodeService;
  readonly cacheOps: CacheOps;
  readonly invalidation: InvalidationService;
  readonly requirements: RequirementsService;
  readonly learned: LearnedPersistenceService;
  readonly models: ModelFollowerService;
  readonly cacheMetrics: CacheMetricsService;
  /** The node's request/reply endpoints; the `@RpcOp` controllers' handlers run behind it. */
  readonly transport: ForesightRpcTransport;
  private stopping: Promise<void> | null = null;
  /** Sessions of shards just lost, until their handover takes them. */
  private moving: MovingSession[] = [];

  constructor(private readonly deps: ShardRuntimeDeps) {
    const { config, pool, nc, logger, clock, metrics } = deps;
    this.events = new ShardEventBus(logger);
    const values = new SensitiveValues(config.session.encryption);
    this.storePartitions = shardStorePartitions(config, pool, metrics, logger);
    const partitions = this.storePartitions.partitions;
    this.store = new EventStore(partitions, config.cluster.nodeId, config.store.maxBatch, values, (p, n, ok) => this.storePartitions.onBatch(p, n, ok));
    this.membership = new MembershipService({
      nc,
      config,
      logger,
      clock,
      metrics,
      events: this.events,
      ...(partitions.all.some((p) => !p.primary) ? { fence: (claims) => this.storePartitions.fence(claims) } : {}),
    });
    this.publisher = new EventPublisherService({ nc, config, logger, metrics, store: this.store, values, membership: this.membership });
    this.index = new SessionIndexRepository(partitions);
    this.replicaPublisher = new ReplicaPublisher({ nc, config, logger, metrics, values });
    this.replicaFollower = new ReplicaFollower({
      nc,
      config,
      store: this.store,
      heads: new ReplicaHeadsRepository(partitions),
      values,
      released: (from, shards) => this.membership.releasedByPreviousOwner(from, shards),
      logger,
      clock,
      metrics,
    });
    this.transfer = new TransferService({ nc, config, logger, clock, metrics, store: this.store, membership: this.membership });
    this.sessions = new SessionsService({
      store: this.store,
      membership: this.membership,
      index: this.index,
      events: this.events,
      config,
      logger,
      clock,
      metrics,
      ...(config.cluster.replication ? { warm: this.replicaFollower } : {}),
      ...(config.transfer.enabled ? { transfers: this.transfer } : {}),
    });
    this.sessionOps = new SessionOps(this.sessions);
    this.locks = new LocksService({
      repo: new LockRepository(partitions, config.cluster.nodeId),
      sessions: this.sessions,
      membership: this.membership,
      config,
      clock,
      logger,
      metrics,
    });
    this.sessions.useWriteGuard(this.locks);
    this.lockOps = new LockOps(this.locks);
    this.expiry = new ExpiryService({ sessions: this.sessions, index: this.index, membership: this.membership, config, logger, metrics });

    this.cache = new CacheNodeService({ config, nc, logger, clock, metrics });
    this.cacheOps = new CacheOps(this.cache, this.sessions);
    this.invalidation = new InvalidationService({ cache: this.cache, nc, config, logger });
    this.requirements = new RequirementsService({ cache: this.cache, repo: new RequirementsRepository(pool), nc, config, logger });
    this.learned = new LearnedPersistenceService({ cache: this.cache, repo: new LearnedRepository(pool), config, logger });
    this.models = new ModelFollowerService({ cache: this.cache, nc, config, logger, metrics });
    this.cacheMetrics = new CacheMetricsService({ cache: this.cache, metrics });

    const latency = histogram(metrics, 'foresight_shard_rpc_seconds', 'Shard command latency', ['op', 'ok']);
    this.transport = new ForesightRpcTransport({
      nc,
      endpoints: shardEndpoints(config.nats.namespace, config.cluster.nodeId),
      logger,
      delayMs: chaosDelay(config, logger),
      mapError: asServiceError,
      onRequest: (endpoint, op, ms, ok) => {
        if (endpoint === ShardEndpoint.node) latency.observe({ op, ok: String(ok) }, ms / 1000);
      },
    });
    this.wireEvents();
  }

  /** Who reacts to what: every listener of the event bus is here. */
  private wireEvents(): void {
    const { events, publisher, cache, sessions, replicaPublisher, replicaFollower } = this;
    const { config } = this.deps;
    events.on('session.committed', (e) => publisher.publishCommitted(e.events, e.positions, e.firstVersion, e.outbox));
    events.on('session.committed', (e) => replicaPublisher.committed(e.sessionId, e.firstVersion, e.events, e.state, e.committedAt));
    // Who is whose secondary follows every assignment applied.
    events.on('assignment.applied', (e) => {
      if (!config.cluster.replication) return;
      const topology = replicaTopology(e.view, config.cluster.nodeId, config.cluster.loadFactor);
      // With the transfer on, the new owners hear of the release once the handover is done (below), not before.
      replicaPublisher.setTopology(topology, config.transfer.enabled ? undefined : e.view);
      replicaFollower.setTopology(topology);
    });
    events.on('session.loaded', (e) => cache.restoreHistory(e.sessionId, e.recentActions));
    // Committed: update the session's profile and start prefetching for its predicted next actions.
    events.on('action.recorded', (e) => cache.recordAction(e.sessionId, e.action, e.userId ? { userId: e.userId } : {}));
    events.on('session.ended', (e) => cache.endSession(e.sessionId));
    // The sessions of lost shards go to their new owners before the shards are released.
    events.on('shards.lost', (e) => {
      const lost = new Set(e.shards);
      const held = sessions.dropShards(lost);
      const ids = new Set(held.map((m) => m.state.id));
      // Pushed here and not used yet: passed on too (what this node holds in memory wins).
      const pushed = this.transfer.dropShards(lost).filter((m) => !ids.has(m.state.id));
      this.moving.push(...held, ...pushed);
      this.locks.dropShards(lost);
    });
    events.on('session.ended', (e) => this.transfer.ended(e.sessionId));
    if (config.transfer.enabled) {
      this.membership.setBeforeRelease((lost, view) => {
        const set = new Set(lost);
        const mine = this.moving.filter((m) => set.has(m.state.shard));
        this.moving = [];
        return this.transfer.handOver(mine, lost, view).finally(() => {
          // The last pushes to warm secondaries first, then the new owners may serve.
          this.replicaPublisher.flush();
          this.transfer.release(lost, view);
        });
      });
    }
    // The handover (if any) took its sessions when the shards were lost, in the same turn.
    events.on('assignment.applied', () => {
      this.moving = [];
    });
  }

  /**
   * Stream and outbox sweeper; the predictive cache (requirements loaded and invalidations heard
   * before the first request); the replica subscription; then requests; then membership (shards arrive); then expiry.
   */
  async start(): Promise<void> {
    await this.publisher.start();
    this.invalidation.start();
    await this.requirements.start();
    await this.learned.start();
    this.models.start();
    this.cacheMetrics.start();
    this.replicaFollower.start();
    this.transfer.start();
    this.transport.open();
    await this.membership.start();
    this.expiry.start();
    this.locks.start();
    this.deps.logger.info({ subject: this.membership.rpcSubject, shards: this.membership.ownedShards().length }, 'shard node ready');
  }

  /**
   * No new requests, running commands finish, the cache stops planning and saves what it learned,
   * expiry stops, the store commits what it holds, events are published, then the node leaves the
   * cluster so its shards move at once (instead of after the lease). The platform drains NATS after.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  /**
   * After leaving, the sessions this node held go to the nodes its shards moved to (no handoff
   * waits for a node that left, so this races their first requests; a session already loaded there
   * ignores its push). Bounded by the transfer timeout.
   */
  private async handOverOnLeave(): Promise<void> {
    const moving = this.moving;
    this.moving = [];
    const { config, nc, logger } = this.deps;
    if (!config.transfer.enabled || moving.length === 0) return;
    try {
      const view = await callRpc<AssignmentView>(
        nc,
        subjects(config.nats.namespace).metadataRpc('assignment'),
        'assignment',
        {},
        {
          timeoutMs: config.transfer.timeoutMs,
        },
      );
      await this.transfer.handOver(moving, [...new Set(moving.map((m) => m.state.shard))], view);
    } catch (error) {
      logger.warn({ err: error }, 'could not hand sessions over on leaving; they load from Postgres');
    }
  }

  /**
   * Scale-in: before it stops serving, the node leaves the assignment while staying live, so its
   * shards move like any other move: it plans and pushes its sessions to the new owners (which hold
   * requests until it releases the shards) and serves requests until then. Bounded by
   * `TRANSFER_LEAVE_MS`; what is still owned at the end moves without waiting, as before.
   */
  private async drain(deadline: number): Promise<void> {
    const { config, logger, clock } = this.deps;
    if (!config.transfer.enabled || config.transfer.leaveMs <= 0 || this.membership.ownedShards().length === 0) return;
    const started = clock.now();
    const done = await this.membership.drain(deadline);
    logger.info({ handedOver: done, ms: clock.now() - started, stillOwned: this.membership.ownedShards().length }, 'left the assignment before stopping');
  }

  private async shutDown(): Promise<void> {
    const deadline = this.deps.clock.now() + this.deps.config.transfer.leaveMs;
    await this.drain(deadline);
    await this.transport.close();
    await this.sessions.idle();
    this.cache.stop();
    await this.learned.stop();
    this.models.stop();
    this.requirements.stop();
    this.invalidation.stop();
    this.cacheMetrics.stop();
    await this.expiry.stop();
    this.locks.stop();
    await this.store.close();
    await this.publisher.flush();
    this.replicaPublisher.flush();
    await this.membership.stop(true);
    await this.handOverOnLeave();
    // The new owners fetch the lazy groups of what was pushed from here while this node is up.
    if (this.deps.config.transfer.enabled) await this.transfer.serveRetained(Math.min(deadline, this.deps.clock.now() + this.deps.config.transfer.retainMs));
    this.replicaFollower.stop();
    this.transfer.stop();
    await this.storePartitions.partitions.close();
    this.deps.logger.info('shard node stopped cleanly');
  }
}

/**
 * The chaos suite's slow node: a fixed delay, or, with FORESIGHT_CHAOS_DELAY_ON_SIGNAL, one that
 * SIGUSR2 turns on and off. Configuration refuses both in production.
 */
function chaosDelay(config: ForesightConfig, logger: Logger): number | (() => number) {
  const { chaosDelayMs, chaosDelayOnSignal } = config.cluster;
  if (chaosDelayMs === 0 || !chaosDelayOnSignal) return chaosDelayMs;
  let on = false;
  process.on('SIGUSR2', () => {
    on = !on;
    logger.warn({ delayMs: on ? chaosDelayMs : 0 }, 'chaos delay toggled');
  });
  return () => (on ? chaosDelayMs : 0);
}
