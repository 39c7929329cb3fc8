import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Event store, outbox, snapshots, session index, and cluster metadata (nodes, shards, epochs). */
export class InitialSchema1763776800000 implements MigrationInterface {
  name = 'InitialSchema1763776800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        position        bigserial PRIMARY KEY,
        session_id      text        NOT NULL,
        stream_version  integer     NOT NULL,
        shard           integer     NOT NULL,
        epoch           bigint      NOT NULL,
        -- Unique by construction (UUID v4) and deduplicated by JetStream; no index to maintain on the hot path.
        event_id        uuid        NOT NULL,
        type            text        NOT NULL,
        schema_version  smallint    NOT NULL,
        occurred_at     timestamptz NOT NULL,
        correlation_id  text        NOT NULL,
        causation_id    text        NOT NULL,
        data            bytea       NOT NULL,
        UNIQUE (session_id, stream_version)
      )`);
    await q.query(`
      CREATE TABLE outbox (
        position    bigint      PRIMARY KEY,
        shard       integer     NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX outbox_by_shard ON outbox (shard, position)`);
    await q.query(`
      CREATE TABLE snapshots (
        session_id      text        PRIMARY KEY,
        stream_version  integer     NOT NULL,
        state           bytea       NOT NULL,
        taken_at        timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE session_index (
        session_id           text        PRIMARY KEY,
        shard                integer     NOT NULL,
        user_id              text,
        created_at           timestamptz NOT NULL,
        last_activity_at     timestamptz NOT NULL,
        idle_timeout_ms      bigint      NOT NULL,
        absolute_expires_at  timestamptz NOT NULL,
        ended_at             timestamptz
      )`);
    await q.query(`CREATE INDEX session_index_live_by_shard ON session_index (shard) WHERE ended_at IS NULL`);
    await q.query(`
      CREATE TABLE nodes (
        node_id            text        PRIMARY KEY,
        incarnation        text        NOT NULL,
        rpc_subject        text        NOT NULL,
        status             text        NOT NULL CHECK (status IN ('active', 'left', 'dead')),
        joined_at          timestamptz NOT NULL DEFAULT now(),
        last_heartbeat_at  timestamptz NOT NULL DEFAULT now(),
        lease_expires_at   timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE shards (
        shard       integer     PRIMARY KEY,
        owner_node  text,
        epoch       bigint      NOT NULL DEFAULT 0,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE cluster_state (
        id                  integer PRIMARY KEY CHECK (id = 1),
        shard_count         integer NOT NULL,
        assignment_version  bigint  NOT NULL DEFAULT 0
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['cluster_state', 'shards', 'nodes', 'session_index', 'snapshots', 'outbox', 'events']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
