import { tokenSubjects, type TokenEvent, type TokenSubjects } from '@foresight/contracts';
import { decode, encode, publishEvent } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { NatsConnection } from 'nats';
import type { Pool, PoolClient } from 'pg';

/**
 * Token events are written to `token_outbox` in the transaction that decided them, published to
 * JetStream right after COMMIT, then deleted. A sweeper republishes leftovers (a crash or a NATS
 * outage between COMMIT and publish), and the stream drops duplicates because the message id is
 * the event id, so no committed revocation is ever lost.
 */
export class TokenOutbox {
  private readonly subjects: TokenSubjects;

  constructor(
    private readonly pool: Pool,
    private readonly nc: NatsConnection,
    private readonly logger: Pick<Logger, 'warn'>,
    namespace: string,
  ) {
    this.subjects = tokenSubjects(namespace);
  }

  /** Stages events inside the caller's transaction. */
  async stage(db: PoolClient, events: readonly TokenEvent[]): Promise<void> {
    for (const e of events) {
      await db.query('INSERT INTO token_outbox (event_id, subject, payload) VALUES ($1, $2, $3)', [
        e.id,
        this.subjects.tokenEvent(e.type),
        Buffer.from(encode(e)),
      ]);
    }
  }

  /** Publishes committed events; anything that fails stays in the outbox for the sweeper. Never throws. */
  async publish(events: readonly TokenEvent[]): Promise<void> {
    const done: string[] = [];
    for (const e of events) {
      try {
        await publishEvent(this.nc.jetstream(), this.subjects.tokenEvent(e.type), e);
        done.push(e.id);
      } catch (error) {
        this.logger.warn({ err: error, eventId: e.id, type: e.type }, 'token event publish failed; the outbox sweeper will retry');
      }
    }
    await this.remove(done);
  }

  /** Republishes events committed more than `olderThanMs` ago and still in the outbox, oldest first. */
  async sweep(olderThanMs: number, limit = 500): Promise<number> {
    const r = await this.pool.query<{ payload: Buffer }>(
      `SELECT payload FROM token_outbox WHERE created_at < now() - make_interval(secs => $1::float8 / 1000) ORDER BY created_at LIMIT $2`,
      [olderThanMs, limit],
    );
    const events = r.rows.map((row) => decode<TokenEvent>(row.payload));
    await this.publish(events);
    return events.length;
  }

  private async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.pool.query('DELETE FROM token_outbox WHERE event_id = ANY($1::uuid[])', [ids]);
    } catch (error) {
      // Harmless: a republication is dropped by the stream's duplicate window.
      this.logger.warn({ err: error }, 'could not clear published token events');
    }
  }
}
