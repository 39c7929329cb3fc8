import type { LearnedShapeEvidence } from '@foresight/cache-core';
import type { Pool } from 'pg';

/** Learned-requirement evidence per node (table `cache_learned_requirements`). */
export class LearnedRepository {
  constructor(private readonly pool: Pool) {}

  async save(nodeId: string, evidence: readonly LearnedShapeEvidence[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO cache_learned_requirements (node_id, evidence, shapes) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (node_id) DO UPDATE SET evidence = EXCLUDED.evidence, shapes = EXCLUDED.shapes, updated_at = now()`,
      [nodeId, JSON.stringify(evidence), evidence.length],
    );
  }

  /** Every node's saved evidence, newest first. */
  async all(): Promise<{ nodeId: string; evidence: unknown }[]> {
    const r = await this.pool.query<{ node_id: string; evidence: unknown }>(
      `SELECT node_id, evidence FROM cache_learned_requirements ORDER BY updated_at DESC`,
    );
    return r.rows.map((row) => ({ nodeId: row.node_id, evidence: row.evidence }));
  }
}
