import type { Pool } from 'pg';
import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { createPool } from './pool';
import { isDatabaseOutage } from './sql-errors';
import type { PgSslSettings } from './ssl';

/** One partition of the event store: a range of shards and the pool of the Postgres server that holds their data. */
export interface StorePartition {
  /** `first-last`, the label of its metrics. */
  readonly label: string;
  readonly first: number;
  readonly last: number;
  readonly pool: Pool;
  /**
   * The partition is the primary database, whose `shards` table the metadata service keeps: its
   * fencing rows are already current, nothing is claimed there.
   */
  readonly primary: boolean;
}

/** A shard this node serves from now on, at the epoch the metadata service gave it. */
export interface ShardClaim {
  readonly shard: number;
  readonly epoch: number;
}

/**
 * Moves a shard's fencing row on a partition server to the new owner and epoch, never backwards: a
 * later owner's claim wins, an earlier one changes nothing. The UPDATE waits for appends holding
 * the row FOR SHARE, and every append after it needs the new epoch: an old owner's late append is
 * refused on this server as it is on the primary.
 */
const CLAIM_SQL = `
INSERT INTO shards (shard, owner_node, epoch, updated_at)
SELECT s, $3, e, now() FROM unnest($1::int[], $2::bigint[]) AS t(s, e)
ON CONFLICT (shard) DO UPDATE SET owner_node = EXCLUDED.owner_node, epoch = EXCLUDED.epoch, updated_at = now()
 WHERE shards.epoch < EXCLUDED.epoch`;

/**
 * The event store's partitions: which Postgres server holds a shard's events, outbox, snapshots,
 * session index and lock records. Cluster metadata (nodes, ownership, epochs, leases) stays on the
 * primary; each partition server keeps its own `shards` rows for its shards, claimed by a new owner
 * before it serves (see `claim`). One partition (the default) is the primary itself.
 */
export class StorePartitions {
  private readonly byShard: StorePartition[] = [];

  constructor(
    readonly all: readonly StorePartition[],
    /** The shard of a session id (derived from the id alone). */
    private readonly shardOfSession: (sessionId: string) => number,
  ) {
    for (const p of all) for (let s = p.first; s <= p.last; s++) this.byShard[s] = p;
  }

  /** Everything on one pool (tests, tools, a single server). */
  static single(pool: Pool, shardCount = 65536): StorePartitions {
    return new StorePartitions([{ label: `0-${shardCount - 1}`, first: 0, last: shardCount - 1, pool, primary: true }], () => 0);
  }

  get count(): number {
    return this.all.length;
  }

  forShard(shard: number): StorePartition {
    const p = this.all.length === 1 ? this.all[0] : this.byShard[shard];
    if (!p) throw new ForesightError(ErrorCodes.VALIDATION, `Shard ${shard} is in no event store partition.`, { shard });
    return p;
  }

  forSession(sessionId: string): StorePartition {
    return this.all.length === 1 ? this.all[0] : this.forShard(this.shardOfSession(sessionId));
  }

  /** `items` grouped by the partition of each one's shard, in partition order. */
  group<T>(items: readonly T[], shardOf: (item: T) => number): Array<{ partition: StorePartition; items: T[] }> {
    if (this.all.length === 1) return items.length === 0 ? [] : [{ partition: this.all[0], items: [...items] }];
    const out = new Map<StorePartition, T[]>();
    for (const item of items) {
      const p = this.forShard(shardOf(item));
      const list = out.get(p);
      if (list) list.push(item);
      else out.set(p, [item]);
    }
    return this.all.filter((p) => out.has(p)).map((partition) => ({ partition, items: out.get(partition)! }));
  }

  /** `items` grouped by the partition of each one's session. */
  groupBySession<T>(items: readonly T[], sessionOf: (item: T) => string): Array<{ partition: StorePartition; items: T[] }> {
    return this.group(items, (item) => (this.all.length === 1 ? 0 : this.shardOfSession(sessionOf(item))));
  }

  /**
   * Records this node as the owner of `claims` on their partition servers (one statement per
   * server, in parallel). Resolves to the partitions that could not be reached, by label, with
   * their shards: those shards must not be served until a later claim succeeds.
   */
  async claim(nodeId: string, claims: readonly ShardClaim[]): Promise<Map<StorePartition, ShardClaim[]>> {
    const failed = new Map<StorePartition, ShardClaim[]>();
    await Promise.all(
      this.group(claims, (c) => c.shard)
        .filter(({ partition }) => !partition.primary)
        .map(async ({ partition, items }) => {
          try {
            await partition.pool.query(CLAIM_SQL, [items.map((c) => c.shard), items.map((c) => c.epoch), nodeId]);
          } catch {
            failed.set(partition, items);
          }
        }),
    );
    return failed;
  }

  /** `error` as it is, or, when there are several partitions and it says `partition`'s server is out, as `partitionUnavailable`. */
  asError(partition: StorePartition, error: unknown): unknown {
    return this.all.length > 1 && isDatabaseOutage(error) ? partitionUnavailable(partition) : error;
  }

  /** The pools of the partition servers that are not the primary (the caller closes the primary's own pool). */
  async close(): Promise<void> {
    await Promise.all([...new Set(this.all.filter((p) => !p.primary).map((p) => p.pool))].map((pool) => pool.end().catch(() => undefined)));
  }
}

/** A partition server that cannot be reached, as `SERVICE.UNAVAILABLE` naming the partition (503 at the gateway, retried). */
export function partitionUnavailable(partition: StorePartition, shard?: number): ForesightError {
  return new ForesightError(
    ErrorCodes.UNAVAILABLE,
    `The session store partition of shards ${partition.label} (a Postgres server) cannot be reached right now; sessions on other partitions are served. Retry shortly.`,
    { partition: partition.label, ...(shard !== undefined ? { shard } : {}) },
  );
}

/**
 * The partitions of `specs` as pools: a partition on the primary URL shares the primary's pool,
 * partitions on one other URL share one pool between them.
 */
export function openStorePartitions(
  specs: readonly { readonly first: number; readonly last: number; readonly url: string }[],
  primary: { readonly url: string; readonly pool: Pool },
  options: { readonly poolSize: number; readonly applicationName: string; readonly ssl?: PgSslSettings },
  shardOfSession: (sessionId: string) => number,
): StorePartitions {
  const pools = new Map<string, Pool>([[primary.url, primary.pool]]);
  const all = specs.map((s) => {
    let pool = pools.get(s.url);
    if (!pool) {
      pool = createPool(s.url, options.poolSize, options.applicationName, options.ssl);
      pools.set(s.url, pool);
    }
    return { label: `${s.first}-${s.last}`, first: s.first, last: s.last, pool, primary: s.url === primary.url };
  });
  return new StorePartitions(all, shardOfSession);
}
