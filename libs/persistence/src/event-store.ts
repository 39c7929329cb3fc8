import { ErrorCodes, ForesightError, type SessionEvent } from '@foresight/contracts';
import { decode, encode } from '@foresight/messaging';
import type { Pool, PoolClient } from 'pg';
import type { AppendRequest, AppendResult, OutboxBatch } from './append';
import { appendColumns, outboxBatchOf, writeSingleEventBatch } from './single-statement-append';
import { GroupCommitter } from './group-commit';
import { StorePartitions, type StorePartition } from './partitions';
import { SensitiveValues } from './sensitive-values';
import { isDataError } from './sql-errors';

export interface StoredEventRow {
  readonly position: number;
  /** With `unpublished`: the outbox row (batch) the event waits in. */
  readonly batch?: number;
  readonly shard: number;
  readonly streamVersion: number;
  readonly event: SessionEvent;
}

interface EventRow {
  position: string;
  batch?: string;
  session_id: string;
  stream_version: number;
  shard: number;
  event_id: string;
  type: string;
  schema_version: number;
  occurred_at: Date;
  correlation_id: string;
  causation_id: string;
  data: Buffer;
}

function rowToEvent(row: EventRow, values: SensitiveValues): StoredEventRow {
  return {
    position: Number(row.position),
    ...(row.batch !== undefined ? { batch: Number(row.batch) } : {}),
    shard: row.shard,
    streamVersion: row.stream_version,
    event: {
      id: row.event_id,
      type: row.type,
      version: row.schema_version,
      sessionId: row.session_id,
      occurredAt: row.occurred_at.toISOString(),
      correlationId: row.correlation_id,
      causationId: row.causation_id,
      data: values.openEventData(row.session_id, row.type, decode(row.data)),
    } as SessionEvent,
  };
}

/** A load's result: `read` is what Postgres returned for it (rows, bytes of state and event data). */
export interface LoadedSession {
  readonly snapshot: { version: number; state: unknown } | null;
  readonly events: StoredEventRow[];
  readonly read: { readonly rows: number; readonly bytes: number };
}

type LoadRow = Omit<EventRow, 'stream_version'> & { kind: 'c' | 'g' | 'e'; grp: string | null; stream_version: number };

/**
 * The snapshot's core, the snapshot rows of the groups asked for (all when $2 is null) at the
 * snapshot's version, and the events after it: one statement, so one consistent view.
 */
const LOAD_SQL = `
WITH snap AS (SELECT stream_version, state FROM snapshots WHERE session_id = $1)
SELECT 'c' AS kind, s.stream_version, NULL::text AS grp, s.state AS data, NULL::bigint AS position, NULL::text AS session_id, NULL::int AS shard,
       NULL::uuid AS event_id, NULL::text AS type, NULL::smallint AS schema_version, NULL::timestamptz AS occurred_at,
       NULL::text AS correlation_id, NULL::text AS causation_id
  FROM snap s
UNION ALL
SELECT 'g', g.stream_version, g.grp, g.value, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM snapshot_groups g JOIN snap s ON s.stream_version = g.stream_version
 WHERE g.session_id = $1 AND ($2::text[] IS NULL OR g.grp = ANY($2::text[]))
UNION ALL
SELECT 'e', e.stream_version, NULL, e.data, e.position, e.session_id, e.shard, e.event_id, e.type, e.schema_version, e.occurred_at,
       e.correlation_id, e.causation_id
  FROM events e
 WHERE e.session_id = $1 AND e.stream_version > COALESCE((SELECT stream_version FROM snap), 0)`;

/** Core and group rows at one version; group rows of an older snapshot (a group emptied since) are removed. */
const SAVE_SNAPSHOT_SQL = `
WITH core AS (
  INSERT INTO snapshots (session_id, stream_version, state, taken_at) VALUES ($1, $2, $3, now())
  ON CONFLICT (session_id) DO UPDATE SET stream_version = EXCLUDED.stream_version, state = EXCLUDED.state, taken_at = now()
  WHERE snapshots.stream_version < EXCLUDED.stream_version
  RETURNING stream_version
), grps AS (
  INSERT INTO snapshot_groups (session_id, grp, stream_version, value)
  SELECT $1, g, $2, v FROM unnest($4::text[], $5::bytea[]) AS t(g, v) WHERE EXISTS (SELECT 1 FROM core)
  ON CONFLICT (session_id, grp) DO UPDATE SET stream_version = EXCLUDED.stream_version, value = EXCLUDED.value
  WHERE snapshot_groups.stream_version < EXCLUDED.stream_version
)
DELETE FROM snapshot_groups WHERE session_id = $1 AND stream_version < $2 AND NOT (grp = ANY($4::text[])) AND EXISTS (SELECT 1 FROM core)`;

const EVENT_COLUMNS = 'position, session_id, stream_version, shard, event_id, type, schema_version, occurred_at, correlation_id, causation_id, data';

/**
 * The Postgres event store. Appends are acknowledged only after commit; concurrent appends
 * share one transaction (group commit), and one that Postgres refuses for its data is isolated by
 * splitting the batch, so it fails alone; every append is checked against the shard's owner and
 * epoch under a share lock, so a node that lost its lease can never write (fencing). Each batch
 * also gets an outbox row naming its events, removed once they are all on JetStream, so no
 * committed event is skipped.
 */
export class EventStore {
  /** One group committer per partition: a batch never spans two servers, and one server's outage fails only its own appends. */
  private readonly committers = new Map<StorePartition, GroupCommitter<AppendRequest, AppendResult>>();
  private readonly partitions: StorePartitions;
  private readonly stored = (e: SessionEvent) => this.values.sealEvent(e);
  private readonly fromRow = (row: EventRow) => rowToEvent(row, this.values);

  /**
   * `pools`: one pool (every shard on one server) or the event store's partitions. `values`: which
   * groups' values are encrypted at rest, with which keys (none by default). `onBatch`: told of
   * each batch written, by partition (metrics).
   */
  constructor(
    pools: Pool | StorePartitions,
    private readonly nodeId: string,
    maxBatch = 512,
    private readonly values = new SensitiveValues({ sensitiveGroups: [], keys: [] }),
    private readonly onBatch?: (partition: StorePartition, appends: number, ok: boolean) => void,
  ) {
    this.partitions = pools instanceof StorePartitions ? pools : StorePartitions.single(pools);
    // A batch Postgres refuses for one append's data (a value it cannot store) is split until that
    // append is alone: one client's bad input never fails another's write.
    for (const p of this.partitions.all) {
      this.committers.set(p, new GroupCommitter((batch) => this.writeBatch(p, batch), maxBatch, 2, isDataError));
    }
  }

  append(request: AppendRequest): Promise<AppendResult> {
    if (request.events.length === 0) return Promise.resolve({ positions: [], newVersion: request.expectedVersion });
    const partition = this.partitions.forShard(request.shard);
    return this.committers
      .get(partition)!
      .submit(request)
      .catch((error: unknown) => {
        throw this.partitions.asError(partition, error);
      });
  }

  async close(): Promise<void> {
    await Promise.all([...this.committers.values()].map((c) => c.close()));
  }

  /** The pool of the server holding `sessionId`'s data, and the errors of its outage named by partition. */
  private async onSessionServer<T>(sessionId: string, run: (pool: Pool) => Promise<T>): Promise<T> {
    const partition = this.partitions.forSession(sessionId);
    try {
      return await run(partition.pool);
    } catch (error) {
      throw this.partitions.asError(partition, error);
    }
  }

  /**
   * Snapshot (if any) and the events after it, in one statement (one consistent read). With
   * `groups`, only those groups' snapshot rows are read: the snapshot's state then holds only
   * them (its core, sizes included, is whole), and the events after it are read in full (at most
   * `SNAPSHOT_EVERY` of them). `read` counts the rows and bytes Postgres returned.
   */
  async load(sessionId: string, groups?: readonly string[]): Promise<LoadedSession> {
    const r = await this.onSessionServer(sessionId, (pool) =>
      // Named (parsed and planned once per connection), like the append: loads are on the read path.
      pool.query<LoadRow>({ name: 'foresight-load-session', text: LOAD_SQL, values: [sessionId, groups ?? null] }),
    );
    let core: { version: number; state: Record<string, unknown> } | null = null;
    const groupRows: LoadRow[] = [];
    const events: StoredEventRow[] = [];
    let bytes = 0;
    for (const row of r.rows) {
      bytes += row.data.length;
      if (row.kind === 'c') core = { version: row.stream_version, state: decode(row.data) as Record<string, unknown> };
      else if (row.kind === 'g') groupRows.push(row);
      else events.push(this.fromRow(row as unknown as EventRow));
    }
    events.sort((a, b) => a.streamVersion - b.streamVersion);
    let snapshot: LoadedSession['snapshot'] = null;
    if (core) {
      // Snapshots taken before groups had rows of their own keep them in the core.
      const embedded = (core.state.groups ?? {}) as Record<string, unknown>;
      const merged: Record<string, unknown> = {};
      for (const [g, vars] of Object.entries(embedded)) if (!groups || groups.includes(g)) merged[g] = vars;
      for (const row of groupRows) merged[row.grp as string] = decode(row.data);
      snapshot = { version: core.version, state: this.values.openState(sessionId, { ...core.state, groups: merged }) };
    }
    return { snapshot, events, read: { rows: r.rows.length, bytes } };
  }

  /** Every event of a session, from the start (audit, and tests). */
  async readStream(sessionId: string): Promise<StoredEventRow[]> {
    const rows = await this.onSessionServer(sessionId, (pool) =>
      pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE session_id = $1 ORDER BY stream_version`, [sessionId]),
    );
    return rows.rows.map(this.fromRow);
  }

  /** The version of a session's last committed event (0: none): one index lookup, no event read. */
  async headVersion(sessionId: string): Promise<number> {
    const r = await this.onSessionServer(sessionId, (pool) =>
      pool.query<{ stream_version: number }>('SELECT stream_version FROM events WHERE session_id = $1 ORDER BY stream_version DESC LIMIT 1', [sessionId]),
    );
    return r.rows[0]?.stream_version ?? 0;
  }

  /** A session's events after `version`, oldest first (catching a copy up to the head). */
  async readStreamAfter(sessionId: string, version: number): Promise<StoredEventRow[]> {
    const rows = await this.onSessionServer(sessionId, (pool) =>
      pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE session_id = $1 AND stream_version > $2 ORDER BY stream_version`, [sessionId, version]),
    );
    return rows.rows.map(this.fromRow);
  }

  /**
   * Saves a snapshot: the core (everything but the groups' values) and one row per group, in one
   * statement at one version; never replaces a newer snapshot. Off the write path (taken after a
   * commit, without waiting).
   */
  async saveSnapshot(sessionId: string, version: number, state: unknown): Promise<void> {
    const sealed = this.values.sealState(sessionId, state) as { groups?: Record<string, unknown> } & Record<string, unknown>;
    const groups = Object.entries(sealed.groups ?? {});
    await this.onSessionServer(sessionId, (pool) =>
      pool.query(SAVE_SNAPSHOT_SQL, [
        sessionId,
        version,
        Buffer.from(encode({ ...sealed, groups: {} })),
        groups.map(([g]) => g),
        groups.map(([, vars]) => Buffer.from(encode(vars))),
      ]),
    );
  }

  /**
   * Events still waiting to be published, for the shards given (oldest batch first on each
   * partition server; positions are per server), each with its batch. A partition server that cannot
   * be reached is skipped: its rows wait for the next sweep, the others' are returned.
   */
  async unpublished(shards: readonly number[], olderThanMs: number, limit: number): Promise<StoredEventRow[]> {
    if (shards.length === 0) return [];
    const parts = await Promise.allSettled(
      this.partitions
        .group(shards, (s) => s)
        .map(({ partition, items }) =>
          partition.pool
            .query<EventRow>(
              `SELECT b.first_position AS batch, ${EVENT_COLUMNS.split(', ')
                .map((c) => `e.${c}`)
                .join(', ')}
               FROM outbox_batches b CROSS JOIN LATERAL unnest(b.positions) AS p(position)
               JOIN events e ON e.position = p.position
              WHERE b.shards && $1::int[] AND e.shard = ANY($1::int[]) AND b.created_at < now() - make_interval(secs => $2::float8 / 1000)
              ORDER BY b.first_position, e.position LIMIT $3`,
              [items, olderThanMs, limit],
            )
            .then((r) => r.rows),
        ),
    );
    const failed = parts.find((p): p is PromiseRejectedResult => p.status === 'rejected');
    if (failed && parts.every((p) => p.status === 'rejected')) throw failed.reason;
    return parts.flatMap((p) => (p.status === 'fulfilled' ? p.value.map(this.fromRow) : []));
  }

  /**
   * Removes the outbox rows of batches whose every event is on the stream (published right after
   * commit by the node that wrote them). `sessionId`: any session of the batch (it names the server).
   */
  async markPublished(batches: readonly { readonly sessionId: string; readonly batch: number }[]): Promise<void> {
    if (batches.length === 0) return;
    await Promise.all(
      this.partitions
        .groupBySession(batches, (b) => b.sessionId)
        .map(({ partition, items }) =>
          partition.pool.query({
            name: 'foresight-outbox-published',
            text: 'DELETE FROM outbox_batches WHERE first_position = ANY($1::bigint[])',
            values: [items.map((b) => b.batch)],
          }),
        ),
    );
  }

  /**
   * After a sweep: takes the events published from their batches' rows and removes the rows left
   * empty. A batch can hold shards another node now owns; each node takes out only what it
   * published (concurrent updates of one row see each other's result: the row lock orders them).
   */
  async markSwept(published: readonly { readonly sessionId: string; readonly batch: number; readonly position: number }[]): Promise<void> {
    if (published.length === 0) return;
    await Promise.all(
      this.partitions
        .groupBySession(published, (p) => p.sessionId)
        .map(async ({ partition, items }) => {
          const batches = [...new Set(items.map((p) => p.batch))];
          await partition.pool.query(
            'UPDATE outbox_batches SET positions = ARRAY(SELECT p FROM unnest(positions) AS p WHERE p <> ALL($2::bigint[])) WHERE first_position = ANY($1::bigint[])',
            [batches, items.map((p) => p.position)],
          );
          // A statement of its own, after the update: it sees every node's update that came before its own.
          await partition.pool.query('DELETE FROM outbox_batches WHERE first_position = ANY($1::bigint[]) AND cardinality(positions) = 0', [batches]);
        }),
    );
  }

  private async writeBatch(partition: StorePartition, batch: readonly AppendRequest[]): Promise<ReadonlyArray<AppendResult | Error>> {
    try {
      const results = await this.writeBatchOn(partition, batch);
      this.onBatch?.(partition, batch.length, true);
      return results;
    } catch (error) {
      this.onBatch?.(partition, batch.length, false);
      throw error;
    }
  }

  private async writeBatchOn(partition: StorePartition, batch: readonly AppendRequest[]): Promise<ReadonlyArray<AppendResult | Error>> {
    const pool = partition.pool;
    // Every decision of the session decider yields one event: then the whole batch is one statement.
    if (batch.every((a) => a.events.length === 1)) return writeSingleEventBatch(pool, this.nodeId, batch, this.stored, partition.label);
    const results: (AppendResult | Error | undefined)[] = new Array(batch.length);
    let pending = batch.map((_, i) => i);
    const client = await pool.connect();
    try {
      // Rarely more than one round: a version conflict rolls back and retries without the loser.
      while (pending.length > 0) {
        const conflicts = await this.tryWrite(client, partition.label, batch, pending, results);
        if (conflicts.length === 0) break;
        for (const i of conflicts) {
          results[i] = new ForesightError(ErrorCodes.SESSION_VERSION_CONFLICT, 'The session changed concurrently; re-read it and retry.', {
            sessionId: batch[i].sessionId,
          });
        }
        pending = pending.filter((i) => results[i] === undefined);
      }
    } catch (error) {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      // A statement refused for its data leaves a healthy connection: keep it in the pool.
      client.release(rolledBack && isDataError(error) ? undefined : (error as Error));
      throw error;
    }
    client.release();
    return results.map((r) => r ?? new Error('append was not processed'));
  }

  /** One transaction over `pending`; returns the indexes that lost a version race (then nothing was committed). */
  private async tryWrite(
    client: PoolClient,
    partition: string,
    batch: readonly AppendRequest[],
    pending: number[],
    results: (AppendResult | Error | undefined)[],
  ): Promise<number[]> {
    await client.query('BEGIN');
    const shards = [...new Set(pending.map((i) => batch[i].shard))];
    // FOR SHARE: a concurrent ownership change (UPDATE ... epoch + 1) waits until we commit,
    // and everything after it sees the new epoch.
    const owners = await client.query<{ shard: number; owner_node: string | null; epoch: string }>(
      'SELECT shard, owner_node, epoch FROM shards WHERE shard = ANY($1::int[]) FOR SHARE',
      [shards],
    );
    const lease = new Map(owners.rows.map((r) => [r.shard, r]));
    const accepted: number[] = [];
    for (const i of pending) {
      const req = batch[i];
      const row = lease.get(req.shard);
      if (!row || row.owner_node !== this.nodeId || Number(row.epoch) !== req.epoch) {
        results[i] = new ForesightError(ErrorCodes.STALE_EPOCH, `Shard ${req.shard} is no longer owned by ${this.nodeId} at epoch ${req.epoch}.`, {
          shard: req.shard,
          owner: row?.owner_node ?? null,
          epoch: row ? Number(row.epoch) : null,
        });
      } else {
        accepted.push(i);
      }
    }
    if (accepted.length === 0) {
      await client.query('ROLLBACK');
      return [];
    }
    const { cols, owner } = appendColumns(batch, accepted, this.stored);
    const inserted = await client.query<{ session_id: string; stream_version: number; position: string }>(
      `WITH ins AS (
         INSERT INTO events (session_id, stream_version, shard, epoch, event_id, type, schema_version, occurred_at, correlation_id, causation_id, data)
         SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::uuid[], $6::text[], $7::smallint[], $8::timestamptz[], $9::text[], $10::text[], $11::bytea[])
         ON CONFLICT (session_id, stream_version) DO NOTHING
         RETURNING position, session_id, stream_version, shard
       ), box AS (
         INSERT INTO outbox_batches (first_position, positions, shards)
         SELECT min(position), array_agg(position), array_agg(DISTINCT shard) FROM ins HAVING count(*) > 0
       )
       SELECT session_id, stream_version, position FROM ins`,
      [cols.sid, cols.ver, cols.shard, cols.epoch, cols.id, cols.type, cols.sv, cols.at, cols.corr, cols.cause, cols.data],
    );
    const positionOf = new Map(inserted.rows.map((r) => [`${r.session_id}\u0000${r.stream_version}`, Number(r.position)]));
    const lost = [...new Set(owner.filter((i, k) => !positionOf.has(`${cols.sid[k]}\u0000${cols.ver[k]}`)))];
    if (lost.length > 0) {
      await client.query('ROLLBACK');
      return lost;
    }
    await this.indexSessions(client, batch, accepted);
    await client.query('COMMIT');
    const outbox: OutboxBatch | undefined = outboxBatchOf(partition, positionOf.values());
    for (const i of accepted) {
      const req = batch[i];
      results[i] = {
        positions: req.events.map((_, k) => positionOf.get(`${req.sessionId}\u0000${req.expectedVersion + k + 1}`) as number),
        newVersion: req.expectedVersion + req.events.length,
        outbox,
      };
    }
    return [];
  }

  /** Keeps the session index (used by the expiry sweeper and takeovers) in the same transaction. */
  private async indexSessions(client: PoolClient, batch: readonly AppendRequest[], accepted: readonly number[]): Promise<void> {
    const created: SessionEvent[] = [];
    const ended: string[] = [];
    for (const i of accepted) {
      for (const e of batch[i].events) {
        if (e.type === 'session.created') created.push(e);
        else if (e.type === 'session.ended') ended.push(e.sessionId);
      }
    }
    if (created.length > 0) {
      const c = created as Extract<SessionEvent, { type: 'session.created' }>[];
      await client.query(
        `INSERT INTO session_index (session_id, shard, user_id, created_at, last_activity_at, idle_timeout_ms, absolute_expires_at)
         SELECT id, shard, uid, at, at, idle, abs FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[], $5::bigint[], $6::timestamptz[])
           AS t(id, shard, uid, at, idle, abs)
         ON CONFLICT (session_id) DO NOTHING`,
        [
          c.map((e) => e.sessionId),
          c.map((e) => e.data.shard),
          c.map((e) => e.data.userId),
          c.map((e) => e.occurredAt),
          c.map((e) => e.data.idleTimeoutMs),
          c.map((e) => e.data.absoluteExpiresAt),
        ],
      );
    }
    if (ended.length > 0) {
      await client.query('UPDATE session_index SET ended_at = now() WHERE session_id = ANY($1::text[]) AND ended_at IS NULL', [ended]);
    }
  }
}
