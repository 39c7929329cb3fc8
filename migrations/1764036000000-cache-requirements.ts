import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Predictive cache: data requirements declared through REST (`PUT /v1/requirements`),
 * kept here so every shard node, including one that starts later, loads them.
 */
export class CacheRequirements1764036000000 implements MigrationInterface {
  name = 'CacheRequirements1764036000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cache_requirements (
        pattern     text        PRIMARY KEY,
        keys        jsonb       NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS cache_requirements`);
  }
}
