import type { Logger } from '@foresight/observability';
import type { PushLedger, PushOutcome } from '@foresight/token-core';
import type { Pool } from 'pg';

/**
 * Settles this instance's push decisions (the scheduler's pushes and let-expires, while it leads):
 * at the start of each planning round it reads the latest activity of each family with a pending
 * decision and resolves it (a request after the token's expiry: a push was needed; one before it,
 * or the session's end: not), so the ledger's calibration and precision follow what sessions did.
 * The leader settles the decisions it made; the ledger lives in memory, like the return model.
 */
export class PushOutcomes {
  constructor(
    private readonly ledger: PushLedger,
    private readonly pool: Pool,
    private readonly logger: Logger,
    onOutcome?: (outcome: PushOutcome) => void,
  ) {
    if (onOutcome) ledger.onOutcome = (outcome) => onOutcome(outcome);
  }

  async settle(now: number): Promise<void> {
    this.ledger.sweep(now);
    const keys = this.ledger.pendingKeys();
    if (keys.length === 0) return;
    try {
      const r = await this.pool.query<{ family_id: string; status: string; last_at: Date | null }>(
        `SELECT f.family_id, f.status, a.last_at
           FROM token_families f LEFT JOIN token_activity a ON a.session_id = f.session_id
          WHERE f.family_id = ANY($1::uuid[])`,
        [keys],
      );
      const seen = new Set<string>();
      for (const row of r.rows) {
        seen.add(row.family_id);
        const outcome = row.last_at !== null ? this.ledger.observeLatest(row.family_id, row.last_at.getTime()) : undefined;
        if (!outcome && row.status !== 'active') this.ledger.observeEnd(row.family_id);
      }
      // Families removed since (their session ended long ago): nothing came after the decision.
      for (const key of keys) if (!seen.has(key)) this.ledger.observeEnd(key);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not settle push decisions; the next round retries');
    }
  }
}
