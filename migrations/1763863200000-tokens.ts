import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Token service: signing keys (private halves sealed), refresh-token families with a
 * version for single flight, every refresh token by hash (for reuse detection), per-session
 * activity for the predictive refresh, and an outbox for token events.
 */
export class Tokens1763863200000 implements MigrationInterface {
  name = 'Tokens1763863200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE token_signing_keys (
        kid                 text        PRIMARY KEY,
        public_jwk          jsonb       NOT NULL,
        sealed_private_key  bytea       NOT NULL,
        created_at          timestamptz NOT NULL,
        activates_at        timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE token_families (
        family_id            uuid        PRIMARY KEY,
        session_id           text        NOT NULL,
        user_id              text        NOT NULL,
        created_at           timestamptz NOT NULL,
        absolute_expires_at  timestamptz NOT NULL,
        version              integer     NOT NULL,
        status               text        NOT NULL CHECK (status IN ('active', 'revoked')),
        revoked_at           timestamptz,
        revoked_reason       text,
        current_hash         text        NOT NULL,
        current_generation   integer     NOT NULL,
        current_issued_at    timestamptz NOT NULL,
        current_expires_at   timestamptz NOT NULL,
        current_origin       text        NOT NULL CHECK (current_origin IN ('issue', 'client', 'scheduled')),
        access_expires_at    timestamptz NOT NULL,
        delivered_at         timestamptz,
        previous_hash        text,
        previous_generation  integer,
        previous_issued_at   timestamptz,
        previous_expires_at  timestamptz,
        previous_rotated_at  timestamptz,
        sealed_pair          bytea,
        sealed_generation    integer,
        sealed_until         timestamptz
      )`);
    await q.query(`CREATE INDEX token_families_by_session ON token_families (session_id)`);
    await q.query(`CREATE INDEX token_families_due ON token_families (access_expires_at) WHERE status = 'active'`);
    await q.query(`
      CREATE TABLE token_refresh_tokens (
        hash        text        PRIMARY KEY,
        family_id   uuid        NOT NULL REFERENCES token_families (family_id) ON DELETE CASCADE,
        generation  integer     NOT NULL,
        origin      text        NOT NULL,
        issued_at   timestamptz NOT NULL,
        UNIQUE (family_id, generation)
      )`);
    await q.query(`CREATE INDEX token_refresh_tokens_by_time ON token_refresh_tokens (issued_at)`);
    await q.query(`
      CREATE TABLE token_activity (
        session_id       text             PRIMARY KEY,
        first_at         timestamptz      NOT NULL,
        last_at          timestamptz      NOT NULL,
        requests         integer          NOT NULL,
        log_gap_mean     double precision,
        log_gap_var      double precision NOT NULL,
        idle_timeout_ms  bigint
      )`);
    await q.query(`
      CREATE TABLE token_outbox (
        event_id    uuid        PRIMARY KEY,
        subject     text        NOT NULL,
        payload     bytea       NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE token_outbox`);
    await q.query(`DROP TABLE token_activity`);
    await q.query(`DROP TABLE token_refresh_tokens`);
    await q.query(`DROP TABLE token_families`);
    await q.query(`DROP TABLE token_signing_keys`);
  }
}
