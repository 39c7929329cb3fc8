import { StorePartitions } from '@foresight/persistence';
import type { Pool } from 'pg';

/**
 * The user of a session, from the session index on the session's event store partition: what
 * places a session by its user when the request that routes it does not name one (the edge that
 * created it could not reach the affinity service, and the session now comes through another edge).
 */
export class SessionUsers {
  private readonly partitions: StorePartitions;

  /** `pools`: one pool, or the event store's partitions. */
  constructor(pools: Pool | StorePartitions) {
    this.partitions = pools instanceof StorePartitions ? pools : StorePartitions.single(pools);
  }

  /** The session's user; null when it has none or is not in the index. */
  async of(sessionId: string): Promise<string | null> {
    const r = await this.partitions
      .forSession(sessionId)
      .pool.query<{ user_id: string | null }>('SELECT user_id FROM session_index WHERE session_id = $1', [sessionId]);
    return r.rows[0]?.user_id ?? null;
  }
}
