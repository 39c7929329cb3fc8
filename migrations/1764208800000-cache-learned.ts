import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Learned data requirements: each shard node saves the evidence it learned from reads,
 * so a restarted node continues from its own and a new node starts from the cluster's.
 */
export class CacheLearned1764208800000 implements MigrationInterface {
  name = 'CacheLearned1764208800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cache_learned_requirements (
        node_id     text        PRIMARY KEY,
        evidence    jsonb       NOT NULL,
        shapes      integer     NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS cache_learned_requirements`);
  }
}
