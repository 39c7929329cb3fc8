import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import { asServiceError } from '@foresight/persistence';
import { ForesightRpcTransport } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { ClusterEventsPublisher } from './assignment/cluster-events.publisher';
import { RebalancerService } from './assignment/rebalancer.service';
import { ShardsRepository } from './assignment/shards.repository';
import { metadataEndpoints } from './metadata.rpc';
import { MetadataService } from './metadata.service';
import { DegradationJudge } from './nodes/degradation';
import { FailureDetector } from './nodes/failure-detector';
import { NodeHealthListener } from './nodes/node-health.listener';
import { NodesRepository } from './nodes/nodes.repository';
import { declareAllStreams } from './streams.declarer';

export interface MetadataRuntimeDeps {
  readonly config: ForesightConfig;
  readonly pool: Pool;
  readonly nc: NatsConnection;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
}

/**
 * The metadata service without Nest: node registry, shard ownership, the rebalancing leader and
 * the request/reply API, started and stopped in a safe order. Used by the Nest lifecycle and tests.
 */
export class MetadataRuntime {
  readonly nodes: NodesRepository;
  readonly shards: ShardsRepository;
  readonly events: ClusterEventsPublisher;
  readonly rebalancer: RebalancerService;
  readonly metadata: MetadataService;
  /** Which live nodes the gateways see degraded, from their health reports. */
  readonly degradation: DegradationJudge;
  private readonly healthReports: NodeHealthListener;
  /** Probes live nodes (on the leader) and declares crashed or frozen ones dead before their lease ends. */
  readonly detector: FailureDetector;
  /** `assignment`, `owner` and node membership over NATS; the handlers are MetadataRpcController's. */
  readonly rpc: ForesightRpcTransport;

  constructor(private readonly deps: MetadataRuntimeDeps) {
    const { config, pool, nc, logger, clock, metrics } = deps;
    this.nodes = new NodesRepository(pool);
    this.shards = new ShardsRepository(pool);
    this.events = new ClusterEventsPublisher({ nc, config, logger, clock });
    const c = config.cluster;
    this.degradation = new DegradationJudge(
      {
        p99Ms: c.degradedP99Ms,
        floorMs: c.degradedFloorMs,
        relativeFactor: c.degradedRelativeFactor,
        errorRate: c.degradedErrorRate,
        forMs: c.degradedForMs,
        cooldownMs: c.drainCooldownMs,
        reportTtlMs: 3 * c.nodeHealthReportMs,
        minSamples: 20,
        // The gateways' window (two seconds) and a report period: long enough for the handoff's waits to age out.
        graceMs: Math.max(2000, 8 * c.nodeHealthReportMs) + c.nodeHealthReportMs,
      },
      (verdict) => logger.warn(verdict, 'node degraded long enough to be drained'),
    );
    this.healthReports = new NodeHealthListener({ nc, config, metrics, clock, judge: this.degradation, onDrain: () => this.rebalancer.trigger() });
    this.rebalancer = new RebalancerService({
      nodes: this.nodes,
      shards: this.shards,
      events: this.events,
      config,
      logger,
      metrics,
      drained: (live) => this.degradation.drained(live, clock.now()),
      onGained: (nodes) => this.degradation.gained(nodes, clock.now()),
    });
    this.metadata = new MetadataService({ nodes: this.nodes, shards: this.shards, rebalancer: this.rebalancer, events: this.events, config, logger });
    this.detector = new FailureDetector({
      nc,
      nodes: this.nodes,
      config,
      logger,
      clock,
      metrics,
      isLeader: () => this.rebalancer.isLeader,
      onDead: (nodeId, signal) => {
        void this.events.nodeLeft(nodeId, 'lease_expired', signal);
        this.rebalancer.trigger();
      },
    });
    this.rpc = new ForesightRpcTransport({ nc, endpoints: metadataEndpoints(config.nats.namespace), logger, mapError: asServiceError });
  }

  /** Every stream declared, the shard rows created and the first rebalancing round due, then requests. */
  async start(): Promise<void> {
    await declareAllStreams(this.deps);
    this.healthReports.start();
    await this.rebalancer.start();
    this.detector.start();
    this.rpc.open();
  }

  /** No new requests (those received finish), then no new rebalancing round; the platform drains NATS and closes the pool. */
  async stop(): Promise<void> {
    await this.rpc.close();
    this.detector.stop();
    this.healthReports.stop();
    await this.rebalancer.stop();
  }
}
