import type { ShardMove, ShardOwnership } from '@foresight/contracts';
import type { Pool } from 'pg';

/** SQL: the shard row `s`'s previous owner is still live (active, lease not expired). */
const PREV_NODE_IS_LIVE = `SELECT 1 FROM nodes n WHERE n.node_id = s.prev_node AND n.status = 'active' AND n.lease_expires_at >= now()`;

/** Shard ownership and fencing epochs: every change is a compare-and-set on the epoch. */
export class ShardsRepository {
  constructor(private readonly pool: Pool) {}

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
      // A shard is ready unless its previous owner is still live and has not released it yet.
      this.pool.query<{ shard: number; owner_node: string | null; epoch: number; ready: boolean }>(
        `SELECT s.shard, s.owner_node, s.epoch,
                s.prev_node IS NULL OR NOT EXISTS (
                  ${PREV_NODE_IS_LIVE}
                ) AS ready
           FROM shards s ORDER BY s.shard`,
      ),
    ]);
    return {
      version: Number(v.rows[0]?.assignment_version ?? 0),
      shards: s.rows.map((r) => ({ shard: r.shard, nodeId: r.owner_node, epoch: Number(r.epoch), ...(r.ready ? {} : { ready: false }) })),
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
   * which fences the previous owner's appends. The node the shard leaves (or, while an earlier
   * handoff is still open, the live node that served it last) becomes `prev_node` until it
   * releases the shard ({@link releaseHandoffs}); a move back to that node needs no handoff.
   */
  async move(changes: readonly { shard: number; to: string | null; expectedEpoch: number; from: string | null }[]): Promise<ShardMove[]> {
    if (changes.length === 0) return [];
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const v = await client.query<{ assignment_version: string }>(
        `UPDATE cluster_state SET assignment_version = assignment_version + 1 WHERE id = 1 RETURNING assignment_version`,
      );
      const r = await client.query<{ shard: number; owner_node: string | null; epoch: number }>(
        `UPDATE shards s SET owner_node = t.owner, epoch = s.epoch + 1, updated_at = now(),
                prev_node = NULLIF(
                  CASE WHEN s.prev_node IS NOT NULL AND EXISTS (
                         ${PREV_NODE_IS_LIVE}
                       ) THEN s.prev_node  -- its handoff is still open: the current owner never served the shard
                       ELSE t.from_node END,
                  t.owner),
                handoff_version = $5
           FROM unnest($1::int[], $2::text[], $3::bigint[], $4::text[]) AS t(shard, owner, expected, from_node)
          WHERE s.shard = t.shard AND s.epoch = t.expected
          RETURNING s.shard, s.owner_node, s.epoch`,
        [changes.map((c) => c.shard), changes.map((c) => c.to), changes.map((c) => c.expectedEpoch), changes.map((c) => c.from), v.rows[0]!.assignment_version],
      );
      // Nothing moved (another instance won every compare-and-set): the version stays as it was.
      await client.query((r.rowCount ?? 0) > 0 ? 'COMMIT' : 'ROLLBACK');
      const from = new Map(changes.map((c) => [c.shard, c.from]));
      return r.rows.map((row) => ({ shard: row.shard, from: from.get(row.shard) ?? null, to: row.owner_node, epoch: Number(row.epoch) }));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * `nodeId` serves by assignment `appliedVersion` (or, with `undefined`, is a new incarnation that
   * serves nothing from before): it no longer serves the shards it lost up to that version, so their
   * new owners may. Returns the new assignment version when a handoff completed (owners re-read it).
   */
  async releaseHandoffs(nodeId: string, appliedVersion: number | undefined): Promise<number | null> {
    // Every heartbeat asks; almost always there is nothing to release, so look before locking.
    const open = await this.pool.query(`SELECT 1 FROM shards WHERE prev_node = $1 LIMIT 1`, [nodeId]);
    if ((open.rowCount ?? 0) === 0) return null;
    const client = await this.pool.connect();
    try {
      // Same lock order as move(): the version row first, then shard rows.
      await client.query('BEGIN');
      const v = await client.query<{ assignment_version: string }>(
        `UPDATE cluster_state SET assignment_version = assignment_version + 1 WHERE id = 1 RETURNING assignment_version`,
      );
      const r = await client.query(
        `UPDATE shards SET prev_node = NULL, handoff_version = NULL
          WHERE prev_node = $1 AND ($2::bigint IS NULL OR handoff_version <= $2::bigint)`,
        [nodeId, appliedVersion ?? null],
      );
      if ((r.rowCount ?? 0) === 0) {
        await client.query('ROLLBACK');
        return null;
      }
      await client.query('COMMIT');
      return Number(v.rows[0]!.assignment_version);
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
