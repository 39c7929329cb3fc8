import { StorePartitions } from '@foresight/persistence';
import type { Pool } from 'pg';

/** What the store says of a session when its shard is promoted: its committed head, and its last recorded activity. */
export interface StoredHead {
  readonly head: number;
  readonly lastRead: number | undefined;
}

/** Ids per statement: a shard of a busy node holds a few thousand live sessions at most. */
const CHUNK = 2000;

/**
 * The committed head version and last activity of many sessions in one statement per chunk (an
 * index lookup per session on the server, one round trip for the node), read when this node gains
 * a shard it followed, so the first request for each session need not ask.
 */
export class ReplicaHeadsRepository {
  private readonly partitions: StorePartitions;

  constructor(pools: Pool | StorePartitions) {
    this.partitions = pools instanceof StorePartitions ? pools : StorePartitions.single(pools);
  }

  /** Heads from each session's partition server, the servers in parallel. */
  async heads(sessionIds: readonly string[]): Promise<Map<string, StoredHead>> {
    const out = new Map<string, StoredHead>();
    await Promise.all(this.partitions.groupBySession(sessionIds, (id) => id).map(({ partition, items }) => this.headsOn(partition.pool, items, out)));
    return out;
  }

  private async headsOn(pool: Pool, sessionIds: readonly string[], out: Map<string, StoredHead>): Promise<void> {
    for (let i = 0; i < sessionIds.length; i += CHUNK) {
      const r = await pool.query<{ id: string; head: number | null; at: Date | null }>(
        `SELECT t.id,
                (SELECT e.stream_version FROM events e WHERE e.session_id = t.id ORDER BY e.stream_version DESC LIMIT 1) AS head,
                i.last_activity_at AS at
           FROM unnest($1::text[]) AS t(id) LEFT JOIN session_index i ON i.session_id = t.id`,
        [sessionIds.slice(i, i + CHUNK)],
      );
      for (const row of r.rows) out.set(row.id, { head: row.head ?? 0, lastRead: row.at?.getTime() });
    }
  }
}
