import { Inject, Injectable } from '@nestjs/common';
import type { ShardMove, ShardOwnership } from '@foresight/contracts';
import { PG_POOL } from '@foresight/platform';
import type { Pool } from 'pg';

/** Shard ownership and fencing epochs: every change is a compare-and-set on the epoch. */
@Injectable()
export class ShardsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Creates the shard rows once; refuses to run against a cluster made with another shard count. */
  async initialise(shardCount: number): Promise<void> {
    await this.pool.query(`INSERT INTO cluster_state (id, shard_count) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, [shardCount]);
    const r = await this.pool.query<{ shard_count: number }>(`SELECT shard_count FROM cluster_state WHERE id = 1`);
    const stored = r.rows[0].shard_count;
    if (stored !== shardCount) {
      throw new Error(`SHARD_COUNT is ${shardCount} but this cluster was created with ${stored} shards; the shard count cannot change.`);
    }
    await this.pool.query(`INSERT INTO shards (shard) SELECT generate_series(0, $1::int - 1) ON CONFLICT (shard) DO NOTHING`, [shardCount]);
  }

  async current(): Promise<{ version: number; shards: ShardOwnership[] }> {
    const [v, s] = await Promise.all([
      this.pool.query<{ assignment_version: number }>(`SELECT assignment_version FROM cluster_state WHERE id = 1`),
      this.pool.query<{ shard: number; owner_node: string | null; epoch: number }>(`SELECT shard, owner_node, epoch FROM shards ORDER BY shard`),
    ]);
    return {
      version: Number(v.rows[0]?.assignment_version ?? 0),
      shards: s.rows.map((r) => ({ shard: r.shard, nodeId: r.owner_node, epoch: Number(r.epoch) })),
    };
  }

  async version(): Promise<number> {
    const v = await this.pool.query<{ assignment_version: number }>(`SELECT assignment_version FROM cluster_state WHERE id = 1`);
    return Number(v.rows[0]?.assignment_version ?? 0);
  }

  async ownerOf(shard: number): Promise<ShardOwnership | undefined> {
    const r = await this.pool.query<{ owner_node: string | null; epoch: number }>(`SELECT owner_node, epoch FROM shards WHERE shard = $1`, [shard]);
    return r.rows[0] ? { shard, nodeId: r.rows[0].owner_node, epoch: Number(r.rows[0].epoch) } : undefined;
  }

  /**
   * Moves shards in one transaction. Each row changes only if its epoch is still the one read
   * (compare-and-set), so two metadata instances can never both win; the epoch goes up by one,
   * which fences the previous owner's appends.
   */
  async move(changes: readonly { shard: number; to: string | null; expectedEpoch: number; from: string | null }[]): Promise<ShardMove[]> {
    if (changes.length === 0) return [];
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const r = await client.query<{ shard: number; owner_node: string | null; epoch: number }>(
        `UPDATE shards s SET owner_node = t.owner, epoch = s.epoch + 1, updated_at = now()
           FROM unnest($1::int[], $2::text[], $3::bigint[]) AS t(shard, owner, expected)
          WHERE s.shard = t.shard AND s.epoch = t.expected
          RETURNING s.shard, s.owner_node, s.epoch`,
        [changes.map((c) => c.shard), changes.map((c) => c.to), changes.map((c) => c.expectedEpoch)],
      );
      if ((r.rowCount ?? 0) > 0) await client.query(`UPDATE cluster_state SET assignment_version = assignment_version + 1 WHERE id = 1`);
      await client.query('COMMIT');
      const from = new Map(changes.map((c) => [c.shard, c.from]));
      return r.rows.map((row) => ({ shard: row.shard, from: from.get(row.shard) ?? null, to: row.owner_node, epoch: Number(row.epoch) }));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** A restarted node must not trust epochs from its previous life: bump every shard it owns. */
  async refence(nodeId: string): Promise<ShardMove[]> {
    const owned = await this.pool.query<{ shard: number; epoch: number }>(`SELECT shard, epoch FROM shards WHERE owner_node = $1`, [nodeId]);
    return this.move(owned.rows.map((r) => ({ shard: r.shard, to: nodeId, from: nodeId, expectedEpoch: Number(r.epoch) })));
  }
}
