import { observeRequest, type ActivityState } from '@foresight/token-core';
import type { Pool } from 'pg';
import { withTransaction } from '../families/transaction';

/** A `token_activity` row as pg returns it. */
export interface ActivityRow {
  readonly first_at: Date;
  readonly last_at: Date;
  readonly requests: number;
  readonly log_gap_mean: number | null;
  readonly log_gap_var: number;
  readonly idle_timeout_ms: number | null;
}

/** The token-core activity state stored in a row. */
export function toActivityState(row: ActivityRow): ActivityState {
  return {
    firstAt: row.first_at.getTime(),
    lastAt: row.last_at.getTime(),
    requests: row.requests,
    logGapMean: row.log_gap_mean ?? undefined,
    logGapVar: row.log_gap_var,
  };
}

/**
 * Per-session activity (token-core's smoothed inter-request gaps) in `token_activity`, so every
 * token service instance consuming a share of the session stream updates the same state and the
 * scheduling leader reads all of it.
 */
export class ActivityRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Records activity of a session at `at`. Returns the gap since its previous activity with the
   * session's state before it (for the return model), or undefined for its first event or one older
   * than the last seen.
   */
  async observe(sessionId: string, at: number, idleTimeoutMs?: number): Promise<{ gapMs: number; before: ActivityState } | undefined> {
    return withTransaction(this.pool, async (db) => {
      const first = observeRequest(undefined, at);
      const inserted = await db.query(
        `INSERT INTO token_activity (session_id, first_at, last_at, requests, log_gap_mean, log_gap_var, idle_timeout_ms)
         VALUES ($1, $2, $2, 1, NULL, 0, $3) ON CONFLICT (session_id) DO NOTHING`,
        [sessionId, new Date(first.lastAt), idleTimeoutMs ?? null],
      );
      if (inserted.rowCount === 1) return undefined;
      const r = await db.query<ActivityRow>('SELECT * FROM token_activity WHERE session_id = $1 FOR UPDATE', [sessionId]);
      const row = r.rows[0];
      if (!row) return undefined;
      const prev = toActivityState(row);
      // Redelivered or out-of-order events say nothing new about the next request.
      if (at <= prev.lastAt) return undefined;
      const next = observeRequest(prev, at);
      await db.query(
        `UPDATE token_activity SET last_at = $2, requests = $3, log_gap_mean = $4, log_gap_var = $5, idle_timeout_ms = COALESCE($6, idle_timeout_ms)
          WHERE session_id = $1`,
        [sessionId, new Date(next.lastAt), next.requests, next.logGapMean ?? null, next.logGapVar, idleTimeoutMs ?? null],
      );
      return { gapMs: at - prev.lastAt, before: prev };
    });
  }

  /** Forgets a session; returns its last state (undefined if none was kept). */
  async remove(sessionId: string): Promise<ActivityState | undefined> {
    const r = await this.pool.query<ActivityRow>('DELETE FROM token_activity WHERE session_id = $1 RETURNING *', [sessionId]);
    const row = r.rows[0];
    return row ? toActivityState(row) : undefined;
  }

  /** Drops activity of sessions silent for longer than `olderThanMs` (their session has ended anyway). */
  async cleanup(olderThanMs: number): Promise<number> {
    const r = await this.pool.query(`DELETE FROM token_activity WHERE last_at < now() - make_interval(secs => $1::float8 / 1000)`, [olderThanMs]);
    return r.rowCount ?? 0;
  }
}
