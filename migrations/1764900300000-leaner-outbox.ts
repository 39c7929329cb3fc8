import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox keeps only its primary key. Every committed event inserts an outbox row and deletes
 * it once published, so each index on the table is written twice per event; `outbox_by_shard`
 * served only the sweep for leftovers, which walks the (normally near-empty) table in position
 * order and filters by shard just as well.
 */
export class LeanerOutbox1764900300000 implements MigrationInterface {
  name = 'LeanerOutbox1764900300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS outbox_by_shard`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS outbox_by_shard ON outbox (shard, position)`);
  }
}
