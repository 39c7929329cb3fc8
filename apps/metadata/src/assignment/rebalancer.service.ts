import type { ForesightConfig } from '@foresight/config';
import { assignShards } from '@foresight/hashing';
import type { Logger } from '@foresight/observability';
import { AdvisoryLeadership } from '@foresight/persistence';
import type { Registry } from 'prom-client';
import { counter, gauge } from '@foresight/observability';
import { sleep } from '@foresight/time';
import type { NodesRepository } from '../nodes/nodes.repository';
import type { ClusterEventsPublisher } from './cluster-events.publisher';
import type { ShardsRepository } from './shards.repository';

export interface RebalancerDeps {
  readonly nodes: NodesRepository;
  readonly shards: ShardsRepository;
  readonly events: ClusterEventsPublisher;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Live nodes to keep out of the target assignment (degraded, as the gateways see them). */
  readonly drained?: (live: readonly string[]) => string[];
  /** Told which nodes a round gave shards to. */
  readonly onGained?: (nodes: ReadonlySet<string>) => void;
}

/**
 * The leader among metadata instances (a Postgres advisory lock held on a dedicated connection)
 * expires dead nodes' leases and moves shards to the rendezvous target. Other instances only
 * serve reads; should two ever act at once, the epoch compare-and-set keeps the table consistent.
 */
export class RebalancerService {
  private readonly leadership: AdvisoryLeadership;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;
  private readonly moves;
  private readonly nodes: NodesRepository;
  private readonly shards: ShardsRepository;
  private readonly events: ClusterEventsPublisher;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;
  private readonly drained: RebalancerDeps['drained'];
  private readonly onGained: RebalancerDeps['onGained'];
  private lastDrained: readonly string[] = [];
  private readonly drainedGauge;

  constructor(deps: RebalancerDeps) {
    this.drained = deps.drained;
    this.onGained = deps.onGained;
    const { config, metrics } = deps;
    this.nodes = deps.nodes;
    this.shards = deps.shards;
    this.events = deps.events;
    this.config = config;
    this.logger = deps.logger;
    this.moves = counter(metrics, 'foresight_shard_moves_total', 'Shards moved to a new owner');
    const leader = gauge(metrics, 'foresight_metadata_leader', '1 when this instance is the rebalancing leader');
    this.drainedGauge = gauge(metrics, 'foresight_nodes_drained', 'Live nodes kept out of the assignment because the gateways see them degraded');
    this.leadership = new AdvisoryLeadership({
      databaseUrl: config.database.url,
      ssl: config.database.ssl,
      lock: 'metadataRebalancer',
      applicationName: 'foresight-metadata-leader',
    });
    this.leadership.onChange((isLeader) => {
      leader.set(isLeader ? 1 : 0);
      if (isLeader) this.logger.info('became the rebalancing leader');
      else if (!this.stopped) this.logger.warn('lost the leader connection; stepping down');
    });
  }

  /** Creates the shard rows (once per cluster), then runs the first round at once. */
  async start(): Promise<void> {
    await this.shards.initialise(this.config.cluster.shardCount);
    this.schedule(0);
  }

  /** No new round; waits for the running one, then gives up leadership. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await sleep(10);
    await this.leadership.stop();
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  /** Runs a round now (after a join or leave) instead of at the next tick. */
  trigger(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    if (this.running) return this.schedule(20);
    this.running = true;
    try {
      if (await this.leadership.tryAcquire()) await this.rebalance();
    } catch (error) {
      this.logger.error({ err: error }, 'rebalancing round failed');
    } finally {
      this.running = false;
      this.schedule(this.isLeader ? this.config.cluster.rebalanceMs : 1000);
    }
  }

  /** One round: expire leases, compute the target, compare-and-set the differences. */
  async rebalance(): Promise<void> {
    for (const nodeId of await this.nodes.expireLeases()) {
      this.logger.warn({ nodeId }, 'node lease expired; moving its shards');
      void this.events.nodeLeft(nodeId, 'lease_expired');
    }
    const [live, leaving] = await Promise.all([this.nodes.live(), this.nodes.leaving()]);
    const drained = this.drained?.(live) ?? [];
    if (drained.join() !== this.lastDrained.join()) {
      this.logger.warn({ drained, before: this.lastDrained }, 'nodes kept out of the assignment for degradation changed');
      this.lastDrained = drained;
      this.drainedGauge.set(drained.length);
    }
    // A leaving node is live (it hands its shards over) but gets none.
    const targets = live.filter((n) => !drained.includes(n) && !leaving.includes(n));
    const target = assignShards(this.config.cluster.shardCount, targets, this.config.cluster.loadFactor);
    const { shards } = await this.shards.current();
    const changes = shards
      .filter((s) => s.nodeId !== target[s.shard])
      .map((s) => ({ shard: s.shard, from: s.nodeId, to: target[s.shard], expectedEpoch: s.epoch }));
    if (changes.length === 0) return;
    const moved = await this.shards.move(changes);
    if (moved.length > 0) {
      this.moves.inc(moved.length);
      this.onGained?.(new Set(moved.flatMap((m) => (m.to ? [m.to] : []))));
      const version = await this.shards.version();
      this.logger.info({ moved: moved.length, live: live.length, version }, 'shards reassigned');
      await this.events.ownersChanged(moved, version);
    }
  }
}
