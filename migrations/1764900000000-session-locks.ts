import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Session locks: every grant is recorded before it is acknowledged, so a node that takes a shard
 * over knows every lock its predecessor granted (renewals stay in memory; ADR 15).
 */
export class SessionLocks1764900000000 implements MigrationInterface {
  name = 'SessionLocks1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE session_locks (
        session_id     text        NOT NULL,
        token          text        NOT NULL,
        shard          integer     NOT NULL,
        mode           text        NOT NULL CHECK (mode IN ('shared', 'exclusive')),
        holder         text,
        request_id     text,
        lease_ms       integer     NOT NULL,
        expires_at_ms  bigint      NOT NULL,
        granted_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (session_id, token)
      )`);
    await q.query(`CREATE INDEX session_locks_shard ON session_locks (shard)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS session_locks`);
  }
}
