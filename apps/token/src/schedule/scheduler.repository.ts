import type { Pool } from 'pg';
import { toActivityState, type ActivityRow } from '../activity/activity.repository';
import type { Candidate } from './plan-input';

interface CandidateRow extends Partial<ActivityRow> {
  readonly family_id: string;
  readonly session_id: string;
  readonly current_generation: number;
  readonly access_expires_at: Date;
  readonly created_at: Date;
  readonly activity_last_at: Date | null;
}

/** Reads for the refresh scheduler, and the periodic clean-up of expired token state. */
export class SchedulerRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Active families whose access token expires in (now, until], whose pre-minted pair (if any)
   * has been delivered, and whose refresh token is still valid, with their session's activity.
   */
  async candidates(now: number, until: number, defaultIdleTimeoutMs: number, limit = 20_000): Promise<Candidate[]> {
    const r = await this.pool.query<CandidateRow>(
      `SELECT f.family_id, f.session_id, f.current_generation, f.access_expires_at, f.created_at,
              a.first_at, a.last_at AS activity_last_at, a.requests, a.log_gap_mean, a.log_gap_var, a.idle_timeout_ms
         FROM token_families f LEFT JOIN token_activity a ON a.session_id = f.session_id
        WHERE f.status = 'active' AND f.delivered_at IS NOT NULL
          AND f.access_expires_at > $1 AND f.access_expires_at <= $2 AND f.current_expires_at > $1
        ORDER BY f.access_expires_at LIMIT $3`,
      [new Date(now), new Date(until), limit],
    );
    return r.rows.map((row) => ({
      familyId: row.family_id,
      sessionId: row.session_id,
      generation: row.current_generation,
      accessExpiresAt: row.access_expires_at.getTime(),
      familyCreatedAt: row.created_at.getTime(),
      activity:
        row.activity_last_at && row.first_at
          ? toActivityState({
              first_at: row.first_at,
              last_at: row.activity_last_at,
              requests: row.requests!,
              log_gap_mean: row.log_gap_mean ?? null,
              log_gap_var: row.log_gap_var!,
              idle_timeout_ms: row.idle_timeout_ms ?? null,
            })
          : undefined,
      idleTimeoutMs: row.idle_timeout_ms ?? defaultIdleTimeoutMs,
    }));
  }

  /** Pairs minted on demand (sign-ins and client refreshes) per absolute bucket in [from, to). */
  async unscheduledLoad(fromBucket: number, toBucket: number, bucketMs: number): Promise<Map<number, number>> {
    const r = await this.pool.query<{ b: number; n: number }>(
      `SELECT floor(extract(epoch FROM issued_at) * 1000 / $3)::bigint AS b, count(*)::int AS n
         FROM token_refresh_tokens
        WHERE origin <> 'scheduled' AND issued_at >= $1 AND issued_at < $2
        GROUP BY 1`,
      [new Date(fromBucket * bucketMs), new Date(toBucket * bucketMs), bucketMs],
    );
    return new Map(r.rows.map((row) => [Number(row.b), row.n]));
  }

  /**
   * Drops sealed pairs past their window, and families (with their token hashes) that can no
   * longer matter: refresh token expired, or revoked, more than `retainMs` ago.
   */
  async cleanup(retainMs: number): Promise<{ sealed: number; families: number }> {
    const sealed = await this.pool.query(
      `UPDATE token_families SET sealed_pair = NULL, sealed_generation = NULL, sealed_until = NULL WHERE sealed_until < now()`,
    );
    const families = await this.pool.query(
      `DELETE FROM token_families
        WHERE current_expires_at < now() - make_interval(secs => $1::float8 / 1000)
           OR (status = 'revoked' AND revoked_at < now() - make_interval(secs => $1::float8 / 1000))`,
      [retainMs],
    );
    return { sealed: sealed.rowCount ?? 0, families: families.rowCount ?? 0 };
  }
}
