import type { PredictionModelKind } from '@foresight/contracts';
import type { Pool } from 'pg';

/** A row of `prediction_models`. */
export interface StoredModelRow {
  readonly version: number;
  readonly kind: PredictionModelKind;
  readonly createdAt: Date;
  readonly artifact: Buffer;
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly active: boolean;
}

interface Row {
  version: number;
  kind: PredictionModelKind;
  created_at: Date;
  artifact: Buffer;
  metrics: Record<string, unknown>;
  active: boolean;
}

const COLUMNS = 'version, kind, created_at, artifact, metrics, active';

function toModel(row: Row): StoredModelRow {
  return { version: Number(row.version), kind: row.kind, createdAt: row.created_at, artifact: row.artifact, metrics: row.metrics, active: row.active };
}

/** Stored, versioned models (raw SQL): at most one active, older inactive ones pruned. */
export class ModelsRepository {
  constructor(private readonly pool: Pool) {}

  async active(): Promise<StoredModelRow | undefined> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM prediction_models WHERE active`);
    return r.rows[0] ? toModel(r.rows[0]) : undefined;
  }

  async byVersion(version: number): Promise<StoredModelRow | undefined> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM prediction_models WHERE version = $1`, [version]);
    return r.rows[0] ? toModel(r.rows[0]) : undefined;
  }

  /** When the newest model was stored (ms since the epoch), if any. */
  async newestCreatedAt(): Promise<number | undefined> {
    const r = await this.pool.query<{ at: Date | null }>('SELECT max(created_at) AS at FROM prediction_models');
    return r.rows[0]?.at?.getTime();
  }

  /**
   * Stores a model and makes it the active one in one transaction, then prunes inactive rows
   * beyond the `retention` newest.
   */
  async storeActive(
    kind: PredictionModelKind,
    artifact: Buffer,
    metrics: Readonly<Record<string, unknown>>,
    createdAt: Date,
    retention: number,
  ): Promise<StoredModelRow> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('UPDATE prediction_models SET active = false WHERE active');
      const r = await client.query<Row>(
        `INSERT INTO prediction_models (kind, created_at, artifact, metrics, active) VALUES ($1, $2, $3, $4, true) RETURNING ${COLUMNS}`,
        [kind, createdAt, artifact, JSON.stringify(metrics)],
      );
      await client.query(
        `DELETE FROM prediction_models WHERE NOT active AND version NOT IN (SELECT version FROM prediction_models ORDER BY version DESC LIMIT $1)`,
        [retention],
      );
      await client.query('COMMIT');
      return toModel(r.rows[0]!);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
