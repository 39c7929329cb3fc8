import { ErrorCodes, ForesightError, type SessionEvent } from '@foresight/contracts';
import { encode } from '@foresight/messaging';
import type { Pool } from 'pg';
import type { AppendRequest, AppendResult, OutboxBatch } from './append';

/** How an event's data is stored (values of sensitive groups sealed); as it is by default. */
export type StoredData = (event: SessionEvent) => unknown;

/** The events of some appends as column arrays for `unnest` (one element per event). */
export function appendColumns(batch: readonly AppendRequest[], indexes: readonly number[], stored: StoredData = (e) => e.data) {
  const cols = {
    sid: [] as string[],
    ver: [] as number[],
    shard: [] as number[],
    epoch: [] as number[],
    id: [] as string[],
    type: [] as string[],
    sv: [] as number[],
    at: [] as string[],
    corr: [] as string[],
    cause: [] as string[],
    data: [] as Buffer[],
  };
  const owner: number[] = [];
  for (const i of indexes) {
    const req = batch[i];
    req.events.forEach((e, k) => {
      cols.sid.push(req.sessionId);
      cols.ver.push(req.expectedVersion + k + 1);
      cols.shard.push(req.shard);
      cols.epoch.push(req.epoch);
      cols.id.push(e.id);
      cols.type.push(e.type);
      cols.sv.push(e.version);
      cols.at.push(e.occurredAt);
      cols.corr.push(e.correlationId);
      cols.cause.push(e.causationId);
      cols.data.push(Buffer.from(encode(stored(e))));
      owner.push(i);
    });
  }
  return { cols, owner };
}

/**
 * A batch of one-event appends in ONE statement (autocommit: one round trip, one commit). The
 * lease CTE takes the shard rows FOR SHARE before any insert, so fencing is as strong as in the
 * transactional path: an ownership change either commits first (our rows no longer match its
 * epoch and nothing is inserted) or waits for our commit. Each append is a single event, so a
 * version conflict (ON CONFLICT DO NOTHING) rejects exactly that append and no other.
 */
const SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::uuid[], $6::text[], $7::smallint[],
                       $8::timestamptz[], $9::text[], $10::text[], $11::bytea[])
    AS u(session_id, stream_version, shard, epoch, event_id, type, schema_version, occurred_at, correlation_id, causation_id, data)
), lease AS (
  SELECT shard, epoch FROM shards WHERE shard IN (SELECT DISTINCT shard FROM input) AND owner_node = $12 FOR SHARE
), ins AS (
  INSERT INTO events (session_id, stream_version, shard, epoch, event_id, type, schema_version, occurred_at, correlation_id, causation_id, data)
  SELECT i.* FROM input i JOIN lease l ON l.shard = i.shard AND l.epoch = i.epoch
  ON CONFLICT (session_id, stream_version) DO NOTHING
  RETURNING position, session_id, stream_version, shard
), box AS (
  INSERT INTO outbox_batches (first_position, positions, shards)
  SELECT min(position), array_agg(position), array_agg(DISTINCT shard) FROM ins HAVING count(*) > 0
), created AS (
  INSERT INTO session_index (session_id, shard, user_id, created_at, last_activity_at, idle_timeout_ms, absolute_expires_at)
  SELECT c.id, c.shard, c.uid, c.at, c.at, c.idle, c.abs
    FROM unnest($13::text[], $14::int[], $15::text[], $16::timestamptz[], $17::bigint[], $18::timestamptz[]) AS c(id, shard, uid, at, idle, abs)
    JOIN ins ON ins.session_id = c.id
  ON CONFLICT (session_id) DO NOTHING
), ended AS (
  UPDATE session_index SET ended_at = now()
   WHERE session_id IN (SELECT ins.session_id FROM ins WHERE ins.session_id = ANY($19::text[])) AND ended_at IS NULL
)
SELECT 'e' AS kind, session_id, stream_version, position, shard, NULL::bigint AS epoch FROM ins
UNION ALL
SELECT 'l', NULL, NULL, NULL, shard, epoch FROM lease`;

/** The outbox row of a batch whose statement inserted `positions` (none: no row). */
export function outboxBatchOf(partition: string, positions: Iterable<number>): OutboxBatch | undefined {
  let batch = Infinity;
  let events = 0;
  for (const p of positions) {
    events++;
    if (p < batch) batch = p;
  }
  return events === 0 ? undefined : { partition, batch, events };
}

export async function writeSingleEventBatch(
  pool: Pool,
  nodeId: string,
  batch: readonly AppendRequest[],
  stored?: StoredData,
  partition = 'all',
): Promise<ReadonlyArray<AppendResult | Error>> {
  const { cols } = appendColumns(
    batch,
    batch.map((_, i) => i),
    stored,
  );
  const created = batch.map((a) => a.events[0]).filter((e): e is Extract<SessionEvent, { type: 'session.created' }> => e.type === 'session.created');
  const ended = batch.filter((a) => a.events[0].type === 'session.ended').map((a) => a.sessionId);
  // Named: each connection parses and plans this statement once, not once per batch.
  const r = await pool.query<{ kind: 'e' | 'l'; session_id: string; stream_version: number; position: number; shard: number; epoch: number }>({
    name: 'foresight-append-single-events',
    text: SQL,
    values: [
      cols.sid,
      cols.ver,
      cols.shard,
      cols.epoch,
      cols.id,
      cols.type,
      cols.sv,
      cols.at,
      cols.corr,
      cols.cause,
      cols.data,
      nodeId,
      created.map((e) => e.sessionId),
      created.map((e) => e.data.shard),
      created.map((e) => e.data.userId),
      created.map((e) => e.occurredAt),
      created.map((e) => e.data.idleTimeoutMs),
      created.map((e) => e.data.absoluteExpiresAt),
      ended,
    ],
  });
  const positions = new Map<string, number>();
  const leases = new Map<number, number>();
  for (const row of r.rows) {
    if (row.kind === 'e') positions.set(`${row.session_id}\u0000${row.stream_version}`, Number(row.position));
    else leases.set(row.shard, Number(row.epoch));
  }
  const outbox = outboxBatchOf(partition, positions.values());
  return batch.map((req) => {
    const version = req.expectedVersion + 1;
    const position = positions.get(`${req.sessionId}\u0000${version}`);
    if (position !== undefined) return { positions: [position], newVersion: version, outbox };
    if (leases.get(req.shard) !== req.epoch) {
      return new ForesightError(ErrorCodes.STALE_EPOCH, `Shard ${req.shard} is no longer owned by ${nodeId} at epoch ${req.epoch}.`, {
        shard: req.shard,
        epoch: leases.get(req.shard) ?? null,
      });
    }
    return new ForesightError(ErrorCodes.SESSION_VERSION_CONFLICT, 'The session changed concurrently; re-read it and retry.', { sessionId: req.sessionId });
  });
}
