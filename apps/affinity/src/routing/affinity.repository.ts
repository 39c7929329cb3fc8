import type { StickinessState } from '@foresight/affinity-core';
import type { Pool } from 'pg';

/** A session's affinity record. */
export interface AffinityRow {
  readonly sessionId: string;
  readonly clientId: string | null;
  readonly userId: string | null;
  readonly clientZone: string | null;
  readonly edgeId: string;
  readonly weight: number;
  readonly recordVersion: number;
  readonly stickiness: StickinessState | null;
  readonly leaseExpiresAt: Date;
}

/** What a write sets; the version is the repository's business. */
export type AffinityWrite = Omit<AffinityRow, 'recordVersion' | 'leaseExpiresAt'>;

interface Raw {
  session_id: string;
  client_id: string | null;
  user_id: string | null;
  client_zone: string | null;
  edge_id: string;
  weight: number;
  record_version: string;
  stickiness: StickinessState | null;
  lease_expires_at: Date;
}

const COLUMNS = 'session_id, client_id, user_id, client_zone, edge_id, weight, record_version, stickiness, lease_expires_at';

function toRow(r: Raw): AffinityRow {
  return {
    sessionId: r.session_id,
    clientId: r.client_id,
    userId: r.user_id,
    clientZone: r.client_zone,
    edgeId: r.edge_id,
    weight: r.weight,
    recordVersion: Number(r.record_version),
    stickiness: r.stickiness,
    leaseExpiresAt: r.lease_expires_at,
  };
}

/** Session affinity records. Every write names the version it read: a concurrent writer makes it return undefined. */
export class AffinityRepository {
  constructor(private readonly pool: Pool) {}

  async get(sessionId: string): Promise<AffinityRow | undefined> {
    const r = await this.pool.query<Raw>(`SELECT ${COLUMNS} FROM session_affinity WHERE session_id = $1 AND lease_expires_at >= now()`, [sessionId]);
    return r.rows[0] ? toRow(r.rows[0]) : undefined;
  }

  /**
   * Writes the record if its version is still `expectedVersion` (0: no live record yet, an expired
   * one is replaced) and extends its lease; the new row, or undefined when another writer came first.
   */
  async write(w: AffinityWrite, expectedVersion: number, leaseMs: number): Promise<AffinityRow | undefined> {
    const r = await this.pool.query<Raw>(
      `INSERT INTO session_affinity (session_id, client_id, user_id, client_zone, edge_id, weight, record_version, stickiness, lease_expires_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 1, $7, now() + make_interval(secs => $9::float8 / 1000), now())
       ON CONFLICT (session_id) DO UPDATE SET client_id = EXCLUDED.client_id, user_id = EXCLUDED.user_id, client_zone = EXCLUDED.client_zone,
         edge_id = EXCLUDED.edge_id, weight = EXCLUDED.weight, stickiness = EXCLUDED.stickiness,
         record_version = session_affinity.record_version + 1, lease_expires_at = EXCLUDED.lease_expires_at, updated_at = now()
       WHERE session_affinity.record_version = $8 OR ($8 = 0 AND session_affinity.lease_expires_at < now())
       RETURNING ${COLUMNS}`,
      [
        w.sessionId,
        w.clientId,
        w.userId,
        w.clientZone,
        w.edgeId,
        w.weight,
        w.stickiness === null ? null : JSON.stringify(w.stickiness),
        expectedVersion,
        leaseMs,
      ],
    );
    return r.rows[0] ? toRow(r.rows[0]) : undefined;
  }

  /** Extends a live record's lease without changing it (no new version). */
  async touch(sessionId: string, leaseMs: number): Promise<void> {
    await this.pool.query(
      `UPDATE session_affinity SET lease_expires_at = now() + make_interval(secs => $2::float8 / 1000) WHERE session_id = $1 AND lease_expires_at >= now()`,
      [sessionId, leaseMs],
    );
  }

  /** The live records of one client (its agent's report covers them all), at most `limit`. */
  async byClient(clientId: string, limit: number): Promise<AffinityRow[]> {
    const r = await this.pool.query<Raw>(
      `SELECT ${COLUMNS} FROM session_affinity WHERE client_id = $1 AND lease_expires_at >= now() ORDER BY updated_at DESC LIMIT $2`,
      [clientId, limit],
    );
    return r.rows.map(toRow);
  }

  /** Live records on the given edges, at most `limit` (re-routed a batch at a time). */
  async onEdges(edgeIds: readonly string[], limit: number): Promise<AffinityRow[]> {
    if (edgeIds.length === 0) return [];
    const r = await this.pool.query<Raw>(`SELECT ${COLUMNS} FROM session_affinity WHERE edge_id = ANY($1) AND lease_expires_at >= now() LIMIT $2`, [
      edgeIds,
      limit,
    ]);
    return r.rows.map(toRow);
  }

  /** Live sessions per edge. */
  async countsByEdge(): Promise<Map<string, number>> {
    const r = await this.pool.query<{ edge_id: string; n: string }>(
      `SELECT edge_id, count(*) AS n FROM session_affinity WHERE lease_expires_at >= now() GROUP BY edge_id`,
    );
    return new Map(r.rows.map((row) => [row.edge_id, Number(row.n)]));
  }

  /** Deletes records whose lease ran out; how many. */
  async deleteExpired(limit: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM session_affinity WHERE session_id IN (SELECT session_id FROM session_affinity WHERE lease_expires_at < now() LIMIT $1)`,
      [limit],
    );
    return r.rowCount ?? 0;
  }
}
