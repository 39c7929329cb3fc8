import type { Pool } from 'pg';

/** The session index: last activity (reads included) and which sessions are due to expire. */
export class SessionIndexRepository {
  constructor(private readonly pool: Pool) {}

  async lastActivity(sessionId: string): Promise<number | undefined> {
    const r = await this.pool.query<{ at: Date }>('SELECT last_activity_at AS at FROM session_index WHERE session_id = $1', [sessionId]);
    return r.rows[0]?.at.getTime();
  }

  /** Records activity in one statement for many sessions; never moves a time backwards. */
  async recordActivity(activity: ReadonlyMap<string, number>): Promise<void> {
    if (activity.size === 0) return;
    await this.pool.query(
      `UPDATE session_index s SET last_activity_at = greatest(s.last_activity_at, t.at)
         FROM unnest($1::text[], $2::timestamptz[]) AS t(id, at) WHERE s.session_id = t.id`,
      [[...activity.keys()], [...activity.values()].map((ms) => new Date(ms).toISOString())],
    );
  }

  /** Live sessions of the given shards whose absolute timeout, or idle timeout plus `idleGraceMs`, has passed. */
  async dueForExpiry(shards: readonly number[], idleGraceMs: number, limit: number): Promise<string[]> {
    if (shards.length === 0) return [];
    const r = await this.pool.query<{ session_id: string }>(
      `SELECT session_id FROM session_index
        WHERE shard = ANY($1::int[]) AND ended_at IS NULL
          AND (absolute_expires_at <= now() OR last_activity_at + (idle_timeout_ms + $2) * interval '1 millisecond' <= now())
        LIMIT $3`,
      [shards, idleGraceMs, limit],
    );
    return r.rows.map((row) => row.session_id);
  }
}
