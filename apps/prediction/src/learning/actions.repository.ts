import { decode } from '@foresight/messaging';
import { sleep } from '@foresight/time';
import type { Pool } from 'pg';

/** One `session.action_recorded` event as stored in Postgres. */
export interface StoredAction {
  readonly position: number;
  readonly sessionId: string;
  readonly streamVersion: number;
  readonly action: string;
  readonly userId: string | null;
}

interface ActionRow {
  position: number;
  session_id: string;
  stream_version: number;
  data: Buffer;
}

const ACTION_TYPE = 'session.action_recorded';

/** One session's actions as read for a training round. */
export interface TrainingSession {
  readonly userId: string | null;
  readonly actions: readonly string[];
}

/** Reads the action history from the event store, the system of record. Raw SQL, read-only. */
export class ActionsRepository {
  /** Rows whose payload did not decode (skipped, counted for the logs). */
  undecodable = 0;

  constructor(private readonly pool: Pool) {}

  /**
   * The highest committed event position P, returned only once every transaction that was
   * running when P was read has ended. Positions are taken at insert time but become visible at
   * commit (ADR 0001), so a lower position can still appear after P is read; after this wait,
   * every event at or below P is visible and a scan up to P misses none.
   */
  async stableHorizon(timeoutMs = 10_000): Promise<{ position: number; waitedMs: number }> {
    const r = await this.pool.query<{ p: number; snap: string }>(
      `SELECT coalesce((SELECT max(position) FROM events), 0)::bigint AS p, pg_current_snapshot()::text AS snap`,
    );
    const { p, snap } = r.rows[0]!;
    const started = Date.now();
    for (;;) {
      const running = await this.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_snapshot_xip($1::pg_snapshot) AS x WHERE pg_xact_status(x) = 'in progress'`,
        [snap],
      );
      if (running.rows[0]!.n === 0 || Date.now() - started > timeoutMs) break;
      await sleep(20);
    }
    return { position: Number(p), waitedMs: Date.now() - started };
  }

  /** Action events with `from < position ≤ upTo`, in position order, a page at a time. */
  async *scan(from: number, upTo: number, pageSize = 5000): AsyncGenerator<StoredAction[]> {
    let after = from;
    for (;;) {
      const r = await this.pool.query<ActionRow>(
        `SELECT position, session_id, stream_version, data FROM events
          WHERE type = $1 AND position > $2 AND position <= $3 ORDER BY position LIMIT $4`,
        [ACTION_TYPE, after, upTo, pageSize],
      );
      if (r.rows.length === 0) return;
      after = Number(r.rows[r.rows.length - 1]!.position);
      yield this.toActions(r.rows);
      if (r.rows.length < pageSize) return;
    }
  }

  /** The last `limit` actions of a session (before stream version `before`, when given), oldest first. */
  async history(sessionId: string, limit: number, before?: number): Promise<StoredAction[]> {
    const r = await this.pool.query<ActionRow>(
      `SELECT position, session_id, stream_version, data FROM events
        WHERE session_id = $1 AND type = $2 AND ($3::int IS NULL OR stream_version < $3)
        ORDER BY stream_version DESC LIMIT $4`,
      [sessionId, ACTION_TYPE, before ?? null, limit],
    );
    return this.toActions(r.rows).reverse();
  }

  /** Whether the session exists (and has ended), from the session index; undefined when unknown. */
  async sessionInfo(sessionId: string): Promise<{ userId: string | null; ended: boolean } | undefined> {
    const r = await this.pool.query<{ user_id: string | null; ended: boolean }>(
      'SELECT user_id, ended_at IS NOT NULL AS ended FROM session_index WHERE session_id = $1',
      [sessionId],
    );
    const row = r.rows[0];
    return row ? { userId: row.user_id, ended: row.ended } : undefined;
  }

  /**
   * Action sequences of the `maxSessions` most recent sessions (by their first action) with
   * every action at or below `upTo`, oldest session first, each in stream order, with the
   * session's user (that of its last action) when it has one.
   */
  async trainingSessions(upTo: number, maxSessions: number, pageSize = 1000): Promise<TrainingSession[]> {
    const recent = await this.pool.query<{ session_id: string }>(
      `SELECT session_id FROM events WHERE type = $1 AND position <= $2
        GROUP BY session_id ORDER BY min(position) DESC LIMIT $3`,
      [ACTION_TYPE, upTo, maxSessions],
    );
    const ids = recent.rows.map((row) => row.session_id).reverse();
    const bySession = new Map<string, { userId: string | null; actions: string[] }>(ids.map((id) => [id, { userId: null, actions: [] }]));
    for (let i = 0; i < ids.length; i += pageSize) {
      const r = await this.pool.query<ActionRow>(
        `SELECT position, session_id, stream_version, data FROM events
          WHERE session_id = ANY($1::text[]) AND type = $2 AND position <= $3 ORDER BY session_id, stream_version`,
        [ids.slice(i, i + pageSize), ACTION_TYPE, upTo],
      );
      for (const a of this.toActions(r.rows)) {
        const session = bySession.get(a.sessionId);
        if (session === undefined) continue;
        session.actions.push(a.action);
        session.userId = a.userId ?? session.userId;
      }
    }
    return [...bySession.values()];
  }

  private toActions(rows: readonly ActionRow[]): StoredAction[] {
    const out: StoredAction[] = [];
    for (const row of rows) {
      let data: { action?: unknown; userId?: unknown };
      try {
        data = decode(row.data);
      } catch {
        this.undecodable++;
        continue;
      }
      if (typeof data?.action !== 'string' || data.action.length === 0) {
        this.undecodable++;
        continue;
      }
      out.push({
        position: Number(row.position),
        sessionId: row.session_id,
        streamVersion: row.stream_version,
        action: data.action,
        userId: typeof data.userId === 'string' && data.userId.length > 0 ? data.userId : null,
      });
    }
    return out;
  }
}
