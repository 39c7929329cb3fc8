import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { counter, type Logger } from '@foresight/observability';
import { openStorePartitions, partitionUnavailable, type StorePartition, type StorePartitions } from '@foresight/persistence';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';

/** The event store's partitions as this node uses them: pools, the fence it records before serving a shard, metrics by partition. */
export interface ShardStorePartitions {
  readonly partitions: StorePartitions;
  /** Records this node's ownership of shards on their partition servers; the shards it could not, with their error. */
  fence(claims: readonly { shard: number; epoch: number }[]): Promise<ReadonlyMap<number, Error>>;
  /** Counts a batch of appends written (or failed) on a partition. */
  onBatch(partition: StorePartition, appends: number, ok: boolean): void;
}

export function shardStorePartitions(config: ForesightConfig, pool: Pool, metrics: Registry, logger: Logger): ShardStorePartitions {
  const partitions = openStorePartitions(
    config.database.partitions,
    { url: config.database.url, pool },
    { poolSize: config.database.poolSize, applicationName: `foresight-${config.service}`, ssl: config.database.ssl },
    (sessionId) => shardOf(sessionId, config.cluster.shardCount),
  );
  const appends = counter(metrics, 'foresight_store_partition_appends_total', 'Appends written to the event store, by partition (shard range) and outcome', [
    'partition',
    'outcome',
  ]);
  const batches = counter(metrics, 'foresight_store_partition_batches_total', 'Group-commit batches written to the event store, by partition and outcome', [
    'partition',
    'outcome',
  ]);
  const claims = counter(
    metrics,
    'foresight_store_partition_fences_total',
    'Shard ownership recorded on a partition server before serving, by partition and outcome',
    ['partition', 'outcome'],
  );
  // Every partition appears in the metrics from the start, at zero.
  for (const p of partitions.all) for (const outcome of ['ok', 'failed']) appends.inc({ partition: p.label, outcome }, 0);
  if (partitions.count > 1) logger.info({ partitions: partitions.all.map((p) => ({ shards: p.label, primary: p.primary })) }, 'event store partitioned');
  // A partition server that does not answer must not hold the assignment back for the others.
  const timeoutMs = Math.min(2000, Math.max(200, config.nats.requestTimeoutMs / 2));
  return {
    partitions,
    async fence(list) {
      const failed = new Map<number, Error>();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
      const result = await Promise.race([partitions.claim(config.cluster.nodeId, list), late]);
      clearTimeout(timer);
      const unreached =
        result === 'late'
          ? partitions.group(list, (c) => c.shard).filter((g) => !g.partition.primary)
          : [...result].map(([partition, items]) => ({ partition, items }));
      for (const { partition, items } of unreached) {
        for (const c of items) failed.set(c.shard, partitionUnavailable(partition, c.shard));
        claims.inc({ partition: partition.label, outcome: 'failed' }, items.length);
      }
      for (const { partition, items } of partitions.group(list, (c) => c.shard)) {
        if (!partition.primary && !unreached.some((u) => u.partition === partition)) claims.inc({ partition: partition.label, outcome: 'ok' }, items.length);
      }
      return failed;
    },
    onBatch(partition, n, ok) {
      const outcome = ok ? 'ok' : 'failed';
      appends.inc({ partition: partition.label, outcome }, n);
      batches.inc({ partition: partition.label, outcome });
    },
  };
}
