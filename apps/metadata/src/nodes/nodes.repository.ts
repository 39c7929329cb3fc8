import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@foresight/platform';
import type { Pool } from 'pg';

/** Node registry rows; lease times come from Postgres's clock so metadata instances agree. */
@Injectable()
export class NodesRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Registers (or re-registers) a node; returns whether this is a new incarnation of it. */
  async register(nodeId: string, incarnation: string, rpcSubject: string, leaseMs: number): Promise<{ newIncarnation: boolean }> {
    const r = await this.pool.query<{ previous: string | null }>(
      `WITH prev AS (SELECT incarnation FROM nodes WHERE node_id = $1)
       INSERT INTO nodes (node_id, incarnation, rpc_subject, status, joined_at, last_heartbeat_at, lease_expires_at)
       VALUES ($1, $2, $3, 'active', now(), now(), now() + make_interval(secs => $4::float8 / 1000))
       ON CONFLICT (node_id) DO UPDATE SET incarnation = EXCLUDED.incarnation, rpc_subject = EXCLUDED.rpc_subject,
         status = 'active', last_heartbeat_at = now(), lease_expires_at = EXCLUDED.lease_expires_at,
         joined_at = CASE WHEN nodes.incarnation = EXCLUDED.incarnation THEN nodes.joined_at ELSE now() END
       RETURNING (SELECT incarnation FROM prev) AS previous`,
      [nodeId, incarnation, rpcSubject, leaseMs],
    );
    return { newIncarnation: r.rows[0]?.previous !== incarnation };
  }

  /** Extends the lease; false when the node is unknown, dead, or a different incarnation. */
  async heartbeat(nodeId: string, incarnation: string, leaseMs: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE nodes SET last_heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => $3::float8 / 1000)
        WHERE node_id = $1 AND incarnation = $2 AND status = 'active' AND lease_expires_at >= now()`,
      [nodeId, incarnation, leaseMs],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async leave(nodeId: string, incarnation: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE nodes SET status = 'left', lease_expires_at = now() WHERE node_id = $1 AND incarnation = $2 AND status = 'active'`,
      [nodeId, incarnation],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Marks nodes whose lease ran out as dead; returns them. */
  async expireLeases(): Promise<string[]> {
    const r = await this.pool.query<{ node_id: string }>(
      `UPDATE nodes SET status = 'dead' WHERE status = 'active' AND lease_expires_at < now() RETURNING node_id`,
    );
    return r.rows.map((row) => row.node_id);
  }

  async live(): Promise<string[]> {
    const r = await this.pool.query<{ node_id: string }>(`SELECT node_id FROM nodes WHERE status = 'active' AND lease_expires_at >= now() ORDER BY node_id`);
    return r.rows.map((row) => row.node_id);
  }

  async all(): Promise<{ nodeId: string; status: string; rpcSubject: string }[]> {
    const r = await this.pool.query<{ node_id: string; status: string; rpc_subject: string; live: boolean }>(
      `SELECT node_id, rpc_subject, CASE WHEN status = 'active' AND lease_expires_at < now() THEN 'suspect' ELSE status END AS status FROM nodes ORDER BY node_id`,
    );
    return r.rows.map((row) => ({ nodeId: row.node_id, status: row.status, rpcSubject: row.rpc_subject }));
  }
}
