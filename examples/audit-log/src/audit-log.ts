import type { Pool } from 'pg';
import type { Delivery, SessionEvent } from '@foresight/events';

/** The audit table's schema in the Postgres it is given; nothing of Foresight's own tables is touched. */
export const AUDIT_SCHEMA = 'audit_log';

/**
 * One row per session change, keyed by the event id. `data` is `json`, not `jsonb`: json keeps the
 * text as written, so a string holding "\u0000" (a valid JSON value, refused by jsonb) is stored too.
 */
export async function migrate(pool: Pool): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${AUDIT_SCHEMA}`);
  await pool.query(`
    CREATE TABLE IF NOT EXISTS ${AUDIT_SCHEMA}.session_changes (
      event_id        uuid        PRIMARY KEY,
      stream_sequence bigint      NOT NULL,
      session_id      text        NOT NULL,
      type            text        NOT NULL,
      version         integer     NOT NULL,
      occurred_at     timestamptz NOT NULL,
      correlation_id  text        NOT NULL,
      data            json        NOT NULL,
      recorded_at     timestamptz NOT NULL DEFAULT now()
    )`);
}

/** The session changes the audit keeps (the actions a user records are not changes of the session). */
export type AuditedEvent = Exclude<SessionEvent, { type: 'session.action_recorded' }>;

export interface AuditWriter {
  /** Inserts the row unless an earlier delivery already did; true when this call stored it. */
  record(event: AuditedEvent, delivery: Delivery): Promise<boolean>;
}

/**
 * Exactly once by event id: the insert and the ack are not atomic, so a crash after the commit and
 * before the ack brings the event again; its id is then already there and the insert does nothing.
 */
export function auditWriter(pool: Pool): AuditWriter {
  return {
    async record(event, delivery) {
      const r = await pool.query(
        `INSERT INTO ${AUDIT_SCHEMA}.session_changes (event_id, stream_sequence, session_id, type, version, occurred_at, correlation_id, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`,
        [event.id, delivery.sequence, event.sessionId, event.type, event.version, event.occurredAt, event.correlationId, JSON.stringify(event.data)],
      );
      return r.rowCount === 1;
    },
  };
}
