import type { LockMode } from '@foresight/contracts';
import { StorePartitions } from '@foresight/persistence';
import type { Pool } from 'pg';
import type { LockGrant } from './lock-table';

/** A grant as recorded: the lease it was granted with, not its renewals (those stay in the owner's memory). */
export interface StoredGrant extends LockGrant {
  readonly sessionId: string;
}

/**
 * The record of lock grants in `session_locks`. Every statement is fenced like an append: it runs
 * only while `shards` names this node as the owner at the caller's epoch (the row is read FOR SHARE,
 * so an ownership change waits for it or makes it a no-op). A grant is written before it is
 * acknowledged, so the node that takes a shard over finds every lock its predecessor granted.
 */
export class LockRepository {
  private readonly partitions: StorePartitions;

  /** `pools`: one pool, or the event store's partitions (a shard's grants live on its partition server, fenced there). */
  constructor(
    pools: Pool | StorePartitions,
    private readonly nodeId: string,
  ) {
    this.partitions = pools instanceof StorePartitions ? pools : StorePartitions.single(pools);
  }

  /** Records a grant; false when this node no longer owns the shard at `epoch`. */
  async grant(shard: number, epoch: number, sessionId: string, g: LockGrant): Promise<boolean> {
    const r = await this.partitions.forShard(shard).pool.query(
      `WITH lease AS (SELECT 1 FROM shards WHERE shard = $1 AND owner_node = $2 AND epoch = $3 FOR SHARE)
       INSERT INTO session_locks (session_id, token, shard, mode, holder, request_id, lease_ms, expires_at_ms)
       SELECT $4, $5, $1, $6, $7, $8, $9, $10 FROM lease`,
      [shard, this.nodeId, epoch, sessionId, g.token, g.mode, g.holder, g.requestId ?? null, g.leaseMs, g.expiresAt],
    );
    return r.rowCount === 1;
  }

  /** Deletes grant records (released, expired, or of ended sessions), fenced per shard epoch. */
  async remove(items: readonly { shard: number; epoch: number; sessionId: string; token?: string }[]): Promise<void> {
    await Promise.all(this.partitions.group(items, (i) => i.shard).map(({ partition, items: some }) => this.removeOn(partition.pool, some)));
  }

  private async removeOn(pool: Pool, items: readonly { shard: number; epoch: number; sessionId: string; token?: string }[]): Promise<void> {
    await pool.query(
      `WITH input AS (SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[]) AS u(shard, epoch, session_id, token)),
       lease AS (SELECT s.shard, s.epoch FROM shards s WHERE s.shard IN (SELECT DISTINCT shard FROM input) AND s.owner_node = $5 FOR SHARE)
       DELETE FROM session_locks l USING input i JOIN lease ON lease.shard = i.shard AND lease.epoch = i.epoch
        WHERE l.session_id = i.session_id AND (i.token IS NULL OR l.token = i.token)`,
      [items.map((i) => i.shard), items.map((i) => i.epoch), items.map((i) => i.sessionId), items.map((i) => i.token ?? null), this.nodeId],
    );
  }

  /** Every grant recorded for a shard (read when this node starts serving it). */
  async ofShard(shard: number): Promise<StoredGrant[]> {
    const r = await this.partitions.forShard(shard).pool.query<{
      session_id: string;
      token: string;
      mode: LockMode;
      holder: string | null;
      request_id: string | null;
      lease_ms: number;
      expires_at_ms: string;
    }>('SELECT session_id, token, mode, holder, request_id, lease_ms, expires_at_ms FROM session_locks WHERE shard = $1', [shard]);
    return r.rows.map((row) => ({
      sessionId: row.session_id,
      token: row.token,
      mode: row.mode,
      holder: row.holder,
      leaseMs: row.lease_ms,
      expiresAt: Number(row.expires_at_ms),
      ...(row.request_id !== null ? { requestId: row.request_id } : {}),
    }));
  }
}
