import type { ForesightConfig } from '@foresight/config';
import { streamDeclarations } from '@foresight/contracts';
import { shardOf } from '@foresight/hashing';
import { useStream } from '@foresight/messaging';
import { counter, histogram, type Logger } from '@foresight/observability';
import { asServiceError, openStorePartitions, type StorePartitions } from '@foresight/persistence';
import { ForesightRpcTransport } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { affinityEndpoints } from './affinity.rpc';
import { EdgesRepository } from './edges/edges.repository';
import { AffinityRepository } from './routing/affinity.repository';
import { AffinityEventsPublisher } from './routing/affinity-events.publisher';
import { AffinityService } from './routing/affinity.service';
import { EdgeStats } from './routing/edge-stats';
import { SessionUsers } from './routing/session-users';

export interface AffinityRuntimeDeps {
  readonly config: ForesightConfig;
  readonly pool: Pool;
  readonly nc: NatsConnection;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
}

/**
 * The affinity service without Nest: the edge registry and session records in Postgres, the edge
 * statistics from agent reports, the routing service, its RPC transport, and the sweeper that finds
 * dead edges (lease run out) and re-routes their sessions.
 */
export class AffinityRuntime {
  readonly edges: EdgesRepository;
  readonly records: AffinityRepository;
  readonly stats: EdgeStats;
  readonly events: AffinityEventsPublisher;
  readonly affinity: AffinityService;
  readonly rpc: ForesightRpcTransport;
  /** The event store's partitions, where each session's index row (its user) is. */
  private readonly storePartitions: StorePartitions;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(readonly deps: AffinityRuntimeDeps) {
    const { config, pool, nc, logger, clock, metrics } = deps;
    this.edges = new EdgesRepository(pool);
    this.records = new AffinityRepository(pool);
    this.stats = new EdgeStats();
    this.events = new AffinityEventsPublisher(nc, config.nats.namespace, clock, logger);
    // The session index is on each session's event store partition (the primary unless EVENT_STORE_PARTITIONS says otherwise).
    this.storePartitions = openStorePartitions(
      config.database.partitions,
      { url: config.database.url, pool },
      { poolSize: 2, applicationName: `foresight-${config.service}`, ssl: config.database.ssl },
      (sessionId) => shardOf(sessionId, config.cluster.shardCount),
    );
    this.affinity = new AffinityService({
      edges: this.edges,
      records: this.records,
      events: this.events,
      stats: this.stats,
      users: new SessionUsers(this.storePartitions),
      config: config.edges,
      clock,
      logger,
      decisions: counter(metrics, 'foresight_affinity_decisions_total', 'Routing decisions of the affinity service, by reason', ['reason']),
    });
    const latency = histogram(metrics, 'foresight_affinity_rpc_seconds', 'Affinity service request latency', ['op', 'ok']);
    this.rpc = new ForesightRpcTransport({
      nc,
      endpoints: affinityEndpoints(config.nats.namespace),
      logger,
      mapError: asServiceError,
      onRequest: (_endpoint, op, ms, ok) => latency.observe({ op, ok: String(ok) }, ms / 1000),
    });
  }

  /** The stream first (events must have somewhere to go), then requests, then the sweeper. */
  async start(): Promise<void> {
    const { config, nc, logger } = this.deps;
    await useStream(nc, streamDeclarations(config.nats.namespace).affinity, config.nats.jetStreamReplicas, { logger });
    // Leases that ran out while the service was down say nothing about the edges: a lease of grace.
    this.affinity.startGrace();
    this.rpc.open();
    // A dead edge is noticed within its lease plus a quarter lease.
    const everyMs = Math.max(50, Math.floor(config.edges.leaseMs / 4));
    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.affinity
        .sweep()
        .then((r) => {
          if (r.dead.length > 0 || r.rerouted > 0) logger.info({ dead: r.dead, rerouted: r.rerouted }, 'affinity sweep');
        })
        .catch((error: unknown) => logger.warn({ err: error }, 'affinity sweep failed; retrying at the next tick'))
        .finally(() => {
          this.sweeping = null;
        });
    }, everyMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    await this.rpc.close();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.sweeping;
    await this.storePartitions.close();
  }
}
