import type { Pool } from 'pg';

/** One registered edge as the registry holds it. */
export interface EdgeRow {
  readonly edgeId: string;
  readonly url: string;
  readonly zone: string;
  /** active with a live lease; `suspect`: active but its lease ran out (not swept yet). */
  readonly status: 'active' | 'suspect' | 'left' | 'dead';
  /** Known when read from the registry (not on rows returned by a change). */
  readonly lastHeartbeatAt?: Date;
  readonly leaseExpiresAt?: Date;
}

/** The edge registry; lease times come from Postgres's clock so affinity instances agree. */
export class EdgesRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Registers (or re-registers) an edge. Refused while the id is live under another incarnation; the
   * check and the write are one statement, so two concurrent registrations of one id cannot both win.
   */
  async register(
    edgeId: string,
    incarnation: string,
    url: string,
    zone: string,
    leaseMs: number,
  ): Promise<{ readonly refused: false; readonly changed: boolean } | { readonly refused: true; readonly leaseLeftMs: number }> {
    const r = await this.pool.query<{ written: boolean; previous: string | null; prev_status: string | null; lease_left_ms: number | null }>(
      `WITH prev AS (SELECT incarnation, status, lease_expires_at FROM edges WHERE edge_id = $1),
       written AS (
         INSERT INTO edges (edge_id, incarnation, url, zone, status, joined_at, last_heartbeat_at, lease_expires_at)
         VALUES ($1, $2, $3, $4, 'active', now(), now(), now() + make_interval(secs => $5::float8 / 1000))
         ON CONFLICT (edge_id) DO UPDATE SET incarnation = EXCLUDED.incarnation, url = EXCLUDED.url, zone = EXCLUDED.zone,
           status = 'active', last_heartbeat_at = now(), lease_expires_at = EXCLUDED.lease_expires_at,
           joined_at = CASE WHEN edges.incarnation = EXCLUDED.incarnation THEN edges.joined_at ELSE now() END
         WHERE edges.incarnation = EXCLUDED.incarnation OR edges.status <> 'active' OR edges.lease_expires_at < now()
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM written) AS written, (SELECT incarnation FROM prev) AS previous, (SELECT status FROM prev) AS prev_status,
              (SELECT ceil(extract(epoch FROM lease_expires_at - now()) * 1000)::int FROM prev) AS lease_left_ms`,
      [edgeId, incarnation, url, zone, leaseMs],
    );
    const row = r.rows[0];
    if (!row?.written) return { refused: true, leaseLeftMs: Math.max(0, row?.lease_left_ms ?? 0) };
    return { refused: false, changed: row.previous !== incarnation || row.prev_status !== 'active' };
  }

  /**
   * Extends the lease; false when the edge is unknown, dead, or a different incarnation, or when its
   * lease ran out (unless `acceptExpired`: during the start-up grace an active edge may renew it).
   */
  async heartbeat(edgeId: string, incarnation: string, leaseMs: number, acceptExpired = false): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE edges SET last_heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => $3::float8 / 1000)
        WHERE edge_id = $1 AND incarnation = $2 AND status = 'active' AND (lease_expires_at >= now() OR $4::boolean)`,
      [edgeId, incarnation, leaseMs, acceptExpired],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async leave(edgeId: string, incarnation: string): Promise<EdgeRow | undefined> {
    const r = await this.pool.query<{ edge_id: string; url: string; zone: string }>(
      `UPDATE edges SET status = 'left', lease_expires_at = now() WHERE edge_id = $1 AND incarnation = $2 AND status = 'active' RETURNING edge_id, url, zone`,
      [edgeId, incarnation],
    );
    const row = r.rows[0];
    return row ? { edgeId: row.edge_id, url: row.url, zone: row.zone, status: 'left' } : undefined;
  }

  /** Marks edges whose lease ran out as dead; returns them. */
  async expireLeases(): Promise<EdgeRow[]> {
    const r = await this.pool.query<{ edge_id: string; url: string; zone: string }>(
      `UPDATE edges SET status = 'dead' WHERE status = 'active' AND lease_expires_at < now() RETURNING edge_id, url, zone`,
    );
    return r.rows.map((row) => ({ edgeId: row.edge_id, url: row.url, zone: row.zone, status: 'dead' }));
  }

  async all(): Promise<EdgeRow[]> {
    const r = await this.pool.query<{
      edge_id: string;
      url: string;
      zone: string;
      status: EdgeRow['status'];
      last_heartbeat_at: Date;
      lease_expires_at: Date;
    }>(
      `SELECT edge_id, url, zone, CASE WHEN status = 'active' AND lease_expires_at < now() THEN 'suspect' ELSE status END AS status,
              last_heartbeat_at, lease_expires_at FROM edges ORDER BY edge_id`,
    );
    return r.rows.map((row) => ({
      edgeId: row.edge_id,
      url: row.url,
      zone: row.zone,
      status: row.status,
      lastHeartbeatAt: row.last_heartbeat_at,
      leaseExpiresAt: row.lease_expires_at,
    }));
  }
}
