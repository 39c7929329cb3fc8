import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prediction service: stored, versioned models (one active at a time) and a partial
 * index so the service can read the action history in position order without walking every event.
 */
export class PredictionModels1763949600000 implements MigrationInterface {
  name = 'PredictionModels1763949600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE prediction_models (
        version     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind        text        NOT NULL CHECK (kind IN ('markov', 'ensemble')),
        created_at  timestamptz NOT NULL DEFAULT now(),
        artifact    bytea       NOT NULL,
        metrics     jsonb       NOT NULL DEFAULT '{}'::jsonb,
        active      boolean     NOT NULL DEFAULT false
      )`);
    // Artifacts are already compact binary; no point compressing them again.
    await q.query(`ALTER TABLE prediction_models ALTER COLUMN artifact SET STORAGE EXTERNAL`);
    await q.query(`CREATE UNIQUE INDEX prediction_models_one_active ON prediction_models ((true)) WHERE active`);
    await q.query(`CREATE INDEX events_actions_by_position ON events (position) WHERE type = 'session.action_recorded'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS events_actions_by_position`);
    await q.query(`DROP TABLE IF EXISTS prediction_models`);
  }
}
