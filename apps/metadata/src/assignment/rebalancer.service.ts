import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { assignShards } from '@foresight/hashing';
import type { Logger } from '@foresight/observability';
import { CONFIG, LOGGER, METRICS } from '@foresight/platform';
import { Client } from 'pg';
import type { Registry } from 'prom-client';
import { counter, gauge } from '@foresight/observability';
import { NodesRepository } from '../nodes/nodes.repository';
import { ClusterEventsPublisher } from './cluster-events.publisher';
import { ShardsRepository } from './shards.repository';

const LEADER_LOCK = 7041978;

/**
 * The leader among metadata instances (a Postgres advisory lock held on a dedicated connection)
 * expires dead nodes' leases and moves shards to the rendezvous target. Other instances only
 * serve reads; should two ever act at once, the epoch compare-and-set keeps the table consistent.
 */
@Injectable()
export class RebalancerService implements OnApplicationBootstrap, OnModuleDestroy {
  private leaderClient: Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;
  private readonly moves;
  private readonly leader;

  constructor(
    private readonly nodes: NodesRepository,
    private readonly shards: ShardsRepository,
    private readonly events: ClusterEventsPublisher,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) metrics: Registry,
  ) {
    this.moves = counter(metrics, 'foresight_shard_moves_total', 'Shards moved to a new owner');
    this.leader = gauge(metrics, 'foresight_metadata_leader', '1 when this instance is the rebalancing leader');
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.shards.initialise(this.config.cluster.shardCount);
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
    await this.leaderClient?.end().catch(() => undefined);
  }

  get isLeader(): boolean {
    return this.leaderClient !== null;
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
      if (await this.ensureLeadership()) await this.rebalance();
    } catch (error) {
      this.logger.error({ err: error }, 'rebalancing round failed');
    } finally {
      this.running = false;
      this.schedule(this.isLeader ? this.config.cluster.rebalanceMs : 1000);
    }
  }

  private async ensureLeadership(): Promise<boolean> {
    if (this.leaderClient) return true;
    const client = new Client({ connectionString: this.config.database.url, application_name: 'foresight-metadata-leader' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK]);
      if (!r.rows[0].ok) {
        await client.end();
        this.leader.set(0);
        return false;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    // Losing the connection loses the lock: step down at once.
    client.on('end', () => {
      if (this.leaderClient === client) {
        this.leaderClient = null;
        this.leader.set(0);
        if (!this.stopped) this.logger.warn('lost the leader connection; stepping down');
      }
    });
    this.leaderClient = client;
    this.leader.set(1);
    this.logger.info('became the rebalancing leader');
    return true;
  }

  /** One round: expire leases, compute the target, compare-and-set the differences. */
  async rebalance(): Promise<void> {
    for (const nodeId of await this.nodes.expireLeases()) {
      this.logger.warn({ nodeId }, 'node lease expired; moving its shards');
      void this.events.nodeLeft(nodeId, 'lease_expired');
    }
    const live = await this.nodes.live();
    const target = assignShards(this.config.cluster.shardCount, live, this.config.cluster.loadFactor);
    const { shards } = await this.shards.current();
    const changes = shards
      .filter((s) => s.nodeId !== target[s.shard])
      .map((s) => ({ shard: s.shard, from: s.nodeId, to: target[s.shard], expectedEpoch: s.epoch }));
    if (changes.length === 0) return;
    const moved = await this.shards.move(changes);
    if (moved.length > 0) {
      this.moves.inc(moved.length);
      const version = await this.shards.version();
      this.logger.info({ moved: moved.length, live: live.length, version }, 'shards reassigned');
      await this.events.ownersChanged(moved, version);
    }
  }
}
