import { StorePartitions } from '@foresight/persistence';
import type { Pool } from 'pg';

/**
 * The session index: last activity (reads included) and which sessions are due to expire. Each
 * session's row is on its shard's partition server.
 */
export class SessionIndexRepository {
  private readonly partitions: StorePartitions;

  constructor(pools: Pool | StorePartitions) {
    this.partitions = pools instanceof StorePartitions ? pools : StorePartitions.single(pools);
  }

  async lastActivity(sessionId: string): Promise<number | undefined> {
    const partition = this.partitions.forSession(sessionId);
    const r = await partition.pool
      .query<{ at: Date }>('SELECT last_activity_at AS at FROM session_index WHERE session_id = $1', [sessionId])
      .catch((error: unknown) => {
        throw this.partitions.asError(partition, error);
      });
    return r.rows[0]?.at.getTime();
  }

  /** Records activity in one statement per partition server for many sessions; never moves a time backwards. */
  async recordActivity(activity: ReadonlyMap<string, number>): Promise<void> {
    if (activity.size === 0) return;
    await Promise.all(
      this.partitions
        .groupBySession([...activity], ([id]) => id)
        .map(({ partition, items }) =>
          partition.pool.query(
            `UPDATE session_index s SET last_activity_at = greatest(s.last_activity_at, t.at)
               FROM unnest($1::text[], $2::timestamptz[]) AS t(id, at) WHERE s.session_id = t.id`,
            [items.map(([id]) => id), items.map(([, ms]) => new Date(ms).toISOString())],
          ),
        ),
    );
  }

  /**
   * Live sessions of the given shards whose absolute timeout, or idle timeout plus `idleGraceMs`,
   * has passed (at most `limit` per partition server; a server that cannot be reached is skipped
   * until the next sweep, unless none can).
   */
  async dueForExpiry(shards: readonly number[], idleGraceMs: number, limit: number): Promise<string[]> {
    if (shards.length === 0) return [];
    const parts = await Promise.allSettled(
      this.partitions
        .group(shards, (s) => s)
        .map(({ partition, items }) =>
          partition.pool
            .query<{ session_id: string }>(
              `SELECT session_id FROM session_index
              WHERE shard = ANY($1::int[]) AND ended_at IS NULL
                AND (absolute_expires_at <= now() OR last_activity_at + (idle_timeout_ms + $2) * interval '1 millisecond' <= now())
              LIMIT $3`,
              [items, idleGraceMs, limit],
            )
            .then((r) => r.rows.map((row) => row.session_id)),
        ),
    );
    const failed = parts.find((p): p is PromiseRejectedResult => p.status === 'rejected');
    if (failed && parts.every((p) => p.status === 'rejected')) throw failed.reason;
    return parts.flatMap((p) => (p.status === 'fulfilled' ? p.value : []));
  }
}
