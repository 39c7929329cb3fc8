import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shard handoff: a shard moved away from a live node records that node (`prev_node`) and the
 * assignment version of the move. The new owner serves the shard once the previous owner has
 * applied that version (it says so in its heartbeats) or is no longer live, so two nodes never
 * serve reads of one shard at once.
 */
export class ShardHandoff1764122400000 implements MigrationInterface {
  name = 'ShardHandoff1764122400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE shards ADD COLUMN prev_node text, ADD COLUMN handoff_version bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE shards DROP COLUMN IF EXISTS prev_node, DROP COLUMN IF EXISTS handoff_version`);
  }
}
