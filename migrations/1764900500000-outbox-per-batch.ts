import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One outbox row per group-commit batch instead of one per event. Every append wrote an outbox row
 * per event (a heap tuple and a primary-key entry) and deleted it once published; now a batch's
 * statement writes one row holding its events' positions and the shards they belong to, and the
 * node deletes it once every event of the batch is on the stream. Rows left from before are moved
 * over (one per event, as they were).
 */
export class OutboxPerBatch1764900500000 implements MigrationInterface {
  name = 'OutboxPerBatch1764900500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS outbox_batches (
        first_position  bigint      PRIMARY KEY,
        positions       bigint[]    NOT NULL,
        shards          integer[]   NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      INSERT INTO outbox_batches (first_position, positions, shards, created_at)
      SELECT position, ARRAY[position], ARRAY[shard], created_at FROM outbox
      ON CONFLICT (first_position) DO NOTHING`);
    await q.query(`DROP TABLE outbox`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS outbox (
        position    bigint      PRIMARY KEY,
        shard       integer     NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      INSERT INTO outbox (position, shard, created_at)
      SELECT e.position, e.shard, b.created_at FROM outbox_batches b JOIN events e ON e.position = ANY(b.positions)
      ON CONFLICT (position) DO NOTHING`);
    await q.query(`DROP TABLE outbox_batches`);
  }
}
