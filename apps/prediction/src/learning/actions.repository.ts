import { decode } from '@foresight/messaging';
import { StorePartitions, type StorePartition } from '@foresight/persistence';
import { sleep } from '@foresight/time';
import type { Pool } from 'pg';

/** One `session.action_recorded` event as stored in Postgres. */
export interface StoredAction {
  readonly position: number;
  /** The event store partition it was read from (positions are per partition server). */
  readonly partition: string;
  readonly sessionId: string;
  readonly streamVersion: number;
  readonly action: string;
  readonly userId: string | null;
}

/** A position per event store partition (by label): positions are per server, not one global order. */
export type PartitionPositions = ReadonlyMap<string, number>;

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

/**
 * Reads the action history from the event store, the system of record, on every partition server
 * (EVENT_STORE_PARTITIONS): a session's events from its shard's server, scans and training reads
 * from all of them, each up to its own position. Raw SQL, read-only.
 */
export class ActionsRepository {
  /** Rows whose payload did not decode (skipped, counted for the logs). */
  undecodable = 0;
  private readonly partitions: StorePartitions;

  /** `pools`: one pool, or the event store's partitions. */
  constructor(pools: Pool | StorePartitions) {
    this.partitions = pools instanceof StorePartitions ? pools : StorePartitions.single(pools);
  }

  /** The labels of the partitions, in shard order. */
  get partitionLabels(): string[] {
    return this.partitions.all.map((p) => p.label);
  }

  /** The label of the partition that holds a session's events. */
  partitionOf(sessionId: string): string {
    return this.partitions.forSession(sessionId).label;
  }

  /**
   * Per partition server, the highest committed event position P, returned only once every
   * transaction that was running there when P was read has ended. Positions are taken at insert
   * time but become visible at commit (ADR 0001), so a lower position can still appear after P is
   * read; after this wait, every event at or below P is visible and a scan up to P misses none.
   */
  async stableHorizon(timeoutMs = 10_000): Promise<{ positions: PartitionPositions; waitedMs: number }> {
    const started = Date.now();
    const each = await Promise.all(this.partitions.all.map(async (p) => [p.label, await this.stablePosition(p, timeoutMs)] as const));
    return { positions: new Map(each), waitedMs: Date.now() - started };
  }

  private async stablePosition(partition: StorePartition, timeoutMs: number): Promise<number> {
    const r = await this.query<{ p: number; snap: string }>(
      partition,
      `SELECT coalesce((SELECT max(position) FROM events), 0)::bigint AS p, pg_current_snapshot()::text AS snap`,
      [],
    );
    const { p, snap } = r.rows[0]!;
    const started = Date.now();
    for (;;) {
      const running = await this.query<{ n: number }>(
        partition,
        `SELECT count(*)::int AS n FROM pg_snapshot_xip($1::pg_snapshot) AS x WHERE pg_xact_status(x) = 'in progress'`,
        [snap],
      );
      if (running.rows[0]!.n === 0 || Date.now() - started > timeoutMs) break;
      await sleep(20);
    }
    return Number(p);
  }

  /**
   * Action events above each partition's position in `from` (none: from its start) and at or below
   * its position in `upTo`, partition by partition, each in position order, a page at a time.
   */
  async *scan(upTo: PartitionPositions, from: PartitionPositions = new Map(), pageSize = 5000): AsyncGenerator<StoredAction[]> {
    for (const partition of this.partitions.all) {
      const last = upTo.get(partition.label) ?? 0;
      let after = from.get(partition.label) ?? 0;
      for (;;) {
        const r = await this.query<ActionRow>(
          partition,
          `SELECT position, session_id, stream_version, data FROM events
            WHERE type = $1 AND position > $2 AND position <= $3 ORDER BY position LIMIT $4`,
          [ACTION_TYPE, after, last, pageSize],
        );
        if (r.rows.length === 0) break;
        after = Number(r.rows[r.rows.length - 1]!.position);
        yield this.toActions(r.rows, partition.label);
        if (r.rows.length < pageSize) break;
      }
    }
  }

  /** The last `limit` actions of a session (before stream version `before`, when given), oldest first. */
  async history(sessionId: string, limit: number, before?: number): Promise<StoredAction[]> {
    const partition = this.partitions.forSession(sessionId);
    const r = await this.query<ActionRow>(
      partition,
      `SELECT position, session_id, stream_version, data FROM events
        WHERE session_id = $1 AND type = $2 AND ($3::int IS NULL OR stream_version < $3)
        ORDER BY stream_version DESC LIMIT $4`,
      [sessionId, ACTION_TYPE, before ?? null, limit],
    );
    return this.toActions(r.rows, partition.label).reverse();
  }

  /** Whether the session exists (and has ended), from the session index; undefined when unknown. */
  async sessionInfo(sessionId: string): Promise<{ userId: string | null; ended: boolean } | undefined> {
    const r = await this.query<{ user_id: string | null; ended: boolean }>(
      this.partitions.forSession(sessionId),
      'SELECT user_id, ended_at IS NOT NULL AS ended FROM session_index WHERE session_id = $1',
      [sessionId],
    );
    const row = r.rows[0];
    return row ? { userId: row.user_id, ended: row.ended } : undefined;
  }

  /**
   * Action sequences of the `maxSessions` most recent sessions (by the time of their first action,
   * over every partition) with every action at or below its partition's position in `upTo`, oldest
   * session first, each in stream order, with the session's user (that of its last action) when it
   * has one.
   */
  async trainingSessions(upTo: PartitionPositions, maxSessions: number, pageSize = 1000): Promise<TrainingSession[]> {
    const perPartition = await Promise.all(
      this.partitions.all.map(async (partition) => {
        const last = upTo.get(partition.label) ?? 0;
        const recent = await this.query<{ session_id: string; first_at: Date }>(
          partition,
          `SELECT session_id, min(occurred_at) AS first_at FROM events WHERE type = $1 AND position <= $2
            GROUP BY session_id ORDER BY min(position) DESC LIMIT $3`,
          [ACTION_TYPE, last, maxSessions],
        );
        return recent.rows.map((row) => ({ partition, last, sessionId: row.session_id, firstAt: new Date(row.first_at).getTime() }));
      }),
    );
    // Most recent first over every partition, then the chosen ones oldest first.
    const all = perPartition.flat();
    if (perPartition.length > 1) all.sort((a, b) => b.firstAt - a.firstAt);
    const chosen = all.slice(0, maxSessions).reverse();
    const bySession = new Map<string, { userId: string | null; actions: string[] }>(chosen.map((c) => [c.sessionId, { userId: null, actions: [] }]));
    for (const partition of this.partitions.all) {
      const mine = chosen.filter((c) => c.partition === partition);
      if (mine.length === 0) continue;
      const last = mine[0]!.last;
      for (let i = 0; i < mine.length; i += pageSize) {
        const r = await this.query<ActionRow>(
          partition,
          `SELECT position, session_id, stream_version, data FROM events
            WHERE session_id = ANY($1::text[]) AND type = $2 AND position <= $3 ORDER BY session_id, stream_version`,
          [mine.slice(i, i + pageSize).map((c) => c.sessionId), ACTION_TYPE, last],
        );
        for (const a of this.toActions(r.rows, partition.label)) {
          const session = bySession.get(a.sessionId);
          if (session === undefined) continue;
          session.actions.push(a.action);
          session.userId = a.userId ?? session.userId;
        }
      }
    }
    return [...bySession.values()];
  }

  /** One statement on a partition's server; an outage of one of several servers names its shard range. */
  private async query<R extends object>(partition: StorePartition, sql: string, params: unknown[]) {
    try {
      return await partition.pool.query<R>(sql, params);
    } catch (error) {
      throw this.partitions.asError(partition, error);
    }
  }

  private toActions(rows: readonly ActionRow[], partition: string): StoredAction[] {
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
        partition,
        sessionId: row.session_id,
        streamVersion: row.stream_version,
        action: data.action,
        userId: typeof data.userId === 'string' && data.userId.length > 0 ? data.userId : null,
      });
    }
    return out;
  }
}
