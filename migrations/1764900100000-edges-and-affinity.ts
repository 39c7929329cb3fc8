import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Edges (gateway instances) with leases, like the shard nodes, and each session's affinity record:
 * its client, its edge, its stickiness weight (0–100) and what the predictive policy remembers of it.
 */
export class EdgesAndAffinity1764900100000 implements MigrationInterface {
  name = 'EdgesAndAffinity1764900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE edges (
        edge_id           text        PRIMARY KEY,
        incarnation       text        NOT NULL,
        url               text        NOT NULL,
        zone              text        NOT NULL,
        status            text        NOT NULL CHECK (status IN ('active', 'left', 'dead')),
        joined_at         timestamptz NOT NULL,
        last_heartbeat_at timestamptz NOT NULL,
        lease_expires_at  timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE session_affinity (
        session_id       text        PRIMARY KEY,
        client_id        text,
        user_id          text,
        client_zone      text,
        edge_id          text        NOT NULL,
        weight           smallint    NOT NULL CHECK (weight BETWEEN 0 AND 100),
        record_version   bigint      NOT NULL,
        stickiness       jsonb,
        lease_expires_at timestamptz NOT NULL,
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX session_affinity_edge ON session_affinity (edge_id)`);
    await q.query(`CREATE INDEX session_affinity_client ON session_affinity (client_id) WHERE client_id IS NOT NULL`);
    await q.query(`CREATE INDEX session_affinity_lease ON session_affinity (lease_expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS session_affinity`);
    await q.query(`DROP TABLE IF EXISTS edges`);
  }
}
