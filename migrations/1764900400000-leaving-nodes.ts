import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A node stopping gracefully first asks to leave the assignment while it stays live: its shards
 * move with a handoff it completes (its sessions are pushed to the new owners, which wait for its
 * release), and only then does it leave for good. `leaving_at` marks such a node: still active,
 * no longer a target of the assignment.
 */
export class LeavingNodes1764900400000 implements MigrationInterface {
  name = 'LeavingNodes1764900400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE nodes ADD COLUMN IF NOT EXISTS leaving_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE nodes DROP COLUMN IF EXISTS leaving_at`);
  }
}
