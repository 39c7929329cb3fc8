import type { RequirementDeclaration } from '@foresight/contracts';
import type { Pool } from 'pg';

/** Declared data requirements stored through REST (table `cache_requirements`). */
export class RequirementsRepository {
  constructor(private readonly pool: Pool) {}

  async all(): Promise<RequirementDeclaration[]> {
    const r = await this.pool.query<{ pattern: string; keys: string[] }>('SELECT pattern, keys FROM cache_requirements ORDER BY pattern');
    return r.rows.map((row) => ({ pattern: row.pattern, keys: row.keys }));
  }

  async put(d: RequirementDeclaration): Promise<void> {
    await this.pool.query(
      `INSERT INTO cache_requirements (pattern, keys) VALUES ($1, $2::jsonb)
       ON CONFLICT (pattern) DO UPDATE SET keys = EXCLUDED.keys, updated_at = now()`,
      [d.pattern, JSON.stringify(d.keys)],
    );
  }

  /** Returns false when there was nothing to remove. */
  async remove(pattern: string): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM cache_requirements WHERE pattern = $1', [pattern]);
    return (r.rowCount ?? 0) > 0;
  }
}
