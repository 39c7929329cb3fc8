import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { checkIssuedId } from '@foresight/session-domain';
import { StorePartitions } from '@foresight/persistence';
import type { Pool } from 'pg';

/** What the session index says about a session when a token pair is asked for it. */
interface IndexRow {
  readonly user_id: string | null;
  readonly ended: boolean;
  readonly expired: boolean;
}

/**
 * The token service mints only for sessions the cluster issued and that are live now: in the
 * session index, not ended, and neither past their absolute timeout nor past their idle timeout plus
 * the grace the owners' expiry sweep allows (the same test). A caller on the bus cannot get a bearer
 * token for an id it made up, for an ended session, or under another user's id.
 */
export class LiveSessions {
  private readonly partitions: StorePartitions;

  /** `pools`: one pool, or the event store's partitions (a session's index row is on its shard's server). */
  constructor(
    pools: Pool | StorePartitions,
    private readonly options: { readonly idSecret: string; readonly idleGraceMs: number },
  ) {
    this.partitions = pools instanceof StorePartitions ? pools : StorePartitions.single(pools);
  }

  async assertMintable(sessionId: string, userId: string): Promise<void> {
    checkIssuedId(sessionId, this.options.idSecret);
    const partition = this.partitions.forSession(sessionId);
    const r = await partition.pool
      .query<IndexRow>(
        `SELECT user_id, ended_at IS NOT NULL AS ended,
              (absolute_expires_at <= now() OR last_activity_at + (idle_timeout_ms + $2) * interval '1 millisecond' <= now()) AS expired
         FROM session_index WHERE session_id = $1`,
        [sessionId, this.options.idleGraceMs],
      )
      .catch((error: unknown) => {
        throw this.partitions.asError(partition, error);
      });
    const row = r.rows[0];
    if (!row) throw new ForesightError(ErrorCodes.SESSION_NOT_FOUND, 'No such session: create one before asking for tokens.');
    if (row.ended || row.expired) throw new ForesightError(ErrorCodes.SESSION_ENDED, 'The session has ended; create a new one and ask for tokens for it.');
    if (row.user_id !== null && row.user_id !== userId) {
      throw new ForesightError(ErrorCodes.VALIDATION, '"userId" does not match the session\'s user.');
    }
  }
}
