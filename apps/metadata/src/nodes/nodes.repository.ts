import type { Pool } from 'pg';

/** Node registry rows; lease times come from Postgres's clock so metadata instances agree. */
export class NodesRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Registers (or re-registers) a node. Refused while the node id is live (active, lease not run out)
   * under another incarnation; the check and the write are one statement, so two concurrent
   * registrations of one id cannot both win.
   */
  async register(
    nodeId: string,
    incarnation: string,
    rpcSubject: string,
    leaseMs: number,
  ): Promise<{ readonly refused: false; readonly newIncarnation: boolean } | { readonly refused: true; readonly leaseLeftMs: number }> {
    const r = await this.pool.query<{ written: boolean; previous: string | null; lease_left_ms: number | null }>(
      `WITH prev AS (SELECT incarnation, status, lease_expires_at FROM nodes WHERE node_id = $1),
       written AS (
         INSERT INTO nodes (node_id, incarnation, rpc_subject, status, joined_at, last_heartbeat_at, lease_expires_at)
         VALUES ($1, $2, $3, 'active', now(), now(), now() + make_interval(secs => $4::float8 / 1000))
         ON CONFLICT (node_id) DO UPDATE SET incarnation = EXCLUDED.incarnation, rpc_subject = EXCLUDED.rpc_subject,
           status = 'active', last_heartbeat_at = now(), lease_expires_at = EXCLUDED.lease_expires_at,
           leaving_at = CASE WHEN nodes.incarnation = EXCLUDED.incarnation THEN nodes.leaving_at ELSE NULL END,
           joined_at = CASE WHEN nodes.incarnation = EXCLUDED.incarnation THEN nodes.joined_at ELSE now() END
         WHERE nodes.incarnation = EXCLUDED.incarnation OR nodes.status <> 'active' OR nodes.lease_expires_at < now()
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM written) AS written, (SELECT incarnation FROM prev) AS previous,
              (SELECT ceil(extract(epoch FROM lease_expires_at - now()) * 1000)::int FROM prev) AS lease_left_ms`,
      [nodeId, incarnation, rpcSubject, leaseMs],
    );
    const row = r.rows[0];
    if (!row?.written) return { refused: true, leaseLeftMs: Math.max(0, row?.lease_left_ms ?? 0) };
    return { refused: false, newIncarnation: row.previous !== incarnation };
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

  /** Marks a live node as leaving: still active (heartbeats, handoffs), no longer a target of the assignment. */
  async startLeaving(nodeId: string, incarnation: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE nodes SET leaving_at = coalesce(leaving_at, now())
        WHERE node_id = $1 AND incarnation = $2 AND status = 'active' AND lease_expires_at >= now()`,
      [nodeId, incarnation],
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

  /**
   * Declares a live node dead before its lease runs out, if it has not heartbeated for `silentMs`
   * (Postgres's clock). A heartbeat processed since then keeps it alive: the statement and the
   * heartbeat's update serialise on the row, so a node that has just confirmed its lease is never
   * declared dead behind its back. True when the node was declared dead.
   */
  async declareDead(nodeId: string, incarnation: string, silentMs: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE nodes SET status = 'dead', lease_expires_at = now()
        WHERE node_id = $1 AND incarnation = $2 AND status = 'active' AND lease_expires_at >= now()
          AND last_heartbeat_at < now() - make_interval(secs => $3::float8 / 1000)`,
      [nodeId, incarnation, silentMs],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Live nodes with the incarnation each registered under (what a probe's answer must match). */
  async liveIncarnations(): Promise<{ nodeId: string; incarnation: string }[]> {
    const r = await this.pool.query<{ node_id: string; incarnation: string }>(
      `SELECT node_id, incarnation FROM nodes WHERE status = 'active' AND lease_expires_at >= now() ORDER BY node_id`,
    );
    return r.rows.map((row) => ({ nodeId: row.node_id, incarnation: row.incarnation }));
  }

  async live(): Promise<string[]> {
    const r = await this.pool.query<{ node_id: string }>(`SELECT node_id FROM nodes WHERE status = 'active' AND lease_expires_at >= now() ORDER BY node_id`);
    return r.rows.map((row) => row.node_id);
  }

  /** Live nodes that are leaving (handing their shards over): kept out of the assignment. */
  async leaving(): Promise<string[]> {
    const r = await this.pool.query<{ node_id: string }>(
      `SELECT node_id FROM nodes WHERE status = 'active' AND lease_expires_at >= now() AND leaving_at IS NOT NULL ORDER BY node_id`,
    );
    return r.rows.map((row) => row.node_id);
  }

  async all(): Promise<{ nodeId: string; status: string; rpcSubject: string }[]> {
    const r = await this.pool.query<{ node_id: string; status: string; rpc_subject: string; live: boolean }>(
      `SELECT node_id, rpc_subject,
              CASE WHEN status = 'active' AND lease_expires_at < now() THEN 'suspect'
                   WHEN status = 'active' AND leaving_at IS NOT NULL THEN 'leaving'
                   ELSE status END AS status
         FROM nodes ORDER BY node_id`,
    );
    return r.rows.map((row) => ({ nodeId: row.node_id, status: row.status, rpcSubject: row.rpc_subject }));
  }
}
