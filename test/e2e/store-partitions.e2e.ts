import { ErrorCodes, type SessionEvent } from '@foresight/contracts';
import { shardOf } from '@foresight/hashing';
import { createPool, EventStore, StorePartitions } from '@foresight/persistence';
import { decide, replay, type SessionPolicy } from '@foresight/session-domain';
import { eventually } from '@foresight/testing';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { LocalStack } from '../../scripts/local-stack';
import { lostWrites, writer } from './acknowledged-writes';
import { api, errorCode, startTestStack, type ApiResponse } from './support';

const SHARDS = 64;
/** Shards 0-31 on the primary database, 32-63 on a second Postgres server. */
const SPLIT = 32;
const onSecond = (id: string) => shardOf(id, SHARDS) >= SPLIT;

const policy: SessionPolicy = {
  groups: ['cart'],
  maxVariableBytes: 1024,
  maxSessionBytes: 1 << 20,
  idleTimeoutMs: 3_600_000,
  absoluteTimeoutMs: 86_400_000,
  idleGraceMs: 0,
};

/**
 * The event store over two Postgres servers, with real processes: each session's events are on its
 * shard's server, a shard that moves is fenced on its partition server (a late write from the old
 * owner is refused there), and a partition server that stops takes only its own sessions' writes
 * down (503, SERVICE.UNAVAILABLE) while the other partition's keep working; nothing acknowledged is lost.
 */
describe('event store partitioned over two Postgres servers', () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;
  let primary: Pool;
  let second: Pool;
  let partitions: StorePartitions;
  const first: string[] = [];
  const other: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack('partitions', {
      shardNodes: 1,
      partitionServers: { count: 1, partitions: ([url]) => `0-${SPLIT - 1}=primary,${SPLIT}-${SHARDS - 1}=${url}` },
      env: { SHARD_COUNT: String(SHARDS) },
    });
    client = api(stack);
    primary = createPool(stack.databaseUrl, 4, 'test');
    second = createPool(stack.partitionServers[0]!.url, 4, 'test');
    partitions = new StorePartitions(
      [
        { label: `0-${SPLIT - 1}`, first: 0, last: SPLIT - 1, pool: primary, primary: true },
        { label: `${SPLIT}-${SHARDS - 1}`, first: SPLIT, last: SHARDS - 1, pool: second, primary: false },
      ],
      (id) => shardOf(id, SHARDS),
    );
    while (first.length < 6 || other.length < 6) {
      const r = await client.create({ data: { cart: { n: 0 } } });
      expect(r.status).toBe(201);
      (onSecond(r.body.id) ? other : first).push(r.body.id);
    }
  }, 180_000);

  afterAll(async () => {
    await primary?.end();
    await second?.end();
    await stack?.stop();
  }, 60_000);

  const eventsOn = async (pool: Pool, ids: readonly string[]) =>
    (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE session_id = ANY($1)', [ids])).rows[0]!.n;

  it("keeps each session's events, outbox, snapshots and index on its shard's server", async () => {
    const writes = await Promise.all([...first, ...other].map((id) => client.put(id, 'cart', 'n', 1)));
    expect(writes.map((w) => w.status)).toEqual([...first, ...other].map(() => 200));
    // Two events per session (created, variable set), each on its own server only.
    expect(await eventsOn(primary, first)).toBe(2 * first.length);
    expect(await eventsOn(second, other)).toBe(2 * other.length);
    expect(await eventsOn(primary, other)).toBe(0);
    expect(await eventsOn(second, first)).toBe(0);
    const indexed = await second.query<{ n: number }>('SELECT count(*)::int AS n FROM session_index WHERE session_id = ANY($1)', [other]);
    expect(indexed.rows[0]!.n).toBe(other.length);
    // The outbox of each server empties as events reach JetStream.
    await eventually(
      async () => ((await second.query('SELECT 1 FROM outbox_batches LIMIT 1')).rowCount === 0 ? true : undefined),
      20_000,
      'outbox of the second server emptied',
    );
    // The second server's fencing rows name the owner, at the epochs the metadata service gave it.
    const meta = await primary.query<{ shard: number; owner_node: string; epoch: number }>(
      'SELECT shard, owner_node, epoch FROM shards WHERE shard >= $1 ORDER BY shard',
      [SPLIT],
    );
    const fenced = await second.query<{ shard: number; owner_node: string; epoch: number }>('SELECT shard, owner_node, epoch FROM shards ORDER BY shard');
    const servedShards = new Set(other.map((id) => shardOf(id, SHARDS)));
    for (const shard of servedShards) {
      expect(fenced.rows.find((r) => r.shard === shard)).toEqual(meta.rows.find((r) => r.shard === shard));
    }
  }, 60_000);

  it("refuses, on the partition server, a late write from a shard's previous owner", async () => {
    const before = await primary.query<{ shard: number; epoch: number }>(`SELECT shard, epoch FROM shards WHERE owner_node = 'shard-1'`);
    const oldEpoch = new Map(before.rows.map((r) => [r.shard, r.epoch]));
    await stack.startService('shard', 'shard-2');
    await stack.waitForAssignment(['shard-1', 'shard-2']);
    const movedShards = new Set(
      (await primary.query<{ shard: number }>(`SELECT shard FROM shards WHERE owner_node = 'shard-2' AND shard >= $1`, [SPLIT])).rows.map((r) => r.shard),
    );
    expect(movedShards.size).toBeGreaterThan(0);
    let id = other.find((s) => movedShards.has(shardOf(s, SHARDS)));
    while (id === undefined) {
      const created = (await client.create({ data: { cart: { n: 0 } } })).body.id;
      if (movedShards.has(shardOf(created, SHARDS))) id = created;
    }
    const shard = shardOf(id, SHARDS);
    // The new owner serves a write: it recorded its ownership on the partition server first.
    expect((await client.put(id, 'cart', 'n', 2)).status).toBe(200);
    const current = (await primary.query<{ owner_node: string; epoch: number }>('SELECT owner_node, epoch FROM shards WHERE shard = $1', [shard])).rows[0]!;
    const row = (await second.query<{ owner_node: string; epoch: number }>('SELECT owner_node, epoch FROM shards WHERE shard = $1', [shard])).rows[0]!;
    expect(row).toEqual(current);
    expect(row.owner_node).toBe('shard-2');
    expect(row.epoch).toBeGreaterThan(oldEpoch.get(shard)!);

    // The old owner's append, delayed past the move: its epoch, the session's current version.
    const oldOwner = new EventStore(partitions, 'shard-1');
    try {
      const stream = await oldOwner.readStream(id);
      const state = replay(stream.map((e) => e.event));
      const late: SessionEvent[] = decide({ kind: 'put', group: 'cart', name: 'late', value: 1 }, state, policy, {
        now: Date.now(),
        correlationId: 'late',
        causationId: 'late',
        newEventId: randomUUID,
      });
      await expect(oldOwner.append({ sessionId: id, shard, epoch: oldEpoch.get(shard)!, expectedVersion: stream.length, events: late })).rejects.toMatchObject({
        code: ErrorCodes.STALE_EPOCH,
      });
      expect((await oldOwner.readStream(id)).length).toBe(stream.length);
    } finally {
      await oldOwner.close();
    }
    const read = await client.getVar(id, 'cart', 'late');
    expect(read.status).toBe(404);
    // Every other session keeps being written, whichever node owns it now.
    for (const s of [...other, ...first]) expect((await client.put(s, 'cart', 'n', 3)).status).toBe(200);
  }, 120_000);

  it('answers 503 for the sessions of a stopped partition server, keeps serving the others, and loses no acknowledged write', async () => {
    const onFirst = writer(client, first);
    const onOther = writer(client, other);
    try {
      await eventually(() => (onFirst.acked.length > 10 && onOther.acked.length > 10 ? true : undefined), 30_000, 'writes on both partitions');
      await stack.partitionServers[0]!.pause();
      // Writes to the stopped server's sessions fail with a stable code; the other partition's go on.
      await eventually(() => (onOther.failures.length > 0 ? true : undefined), 60_000, 'a write to the stopped partition refused');
      const failure = onOther.failures[0] as { status: number; body: { error?: { code?: string; message?: string } } };
      expect(failure.status).toBe(503);
      expect(errorCode(failure)).toBe(ErrorCodes.UNAVAILABLE);
      const ackedWhileDown = onFirst.acked.length;
      await eventually(() => (onFirst.acked.length >= ackedWhileDown + 20 ? true : undefined), 60_000, 'writes on the partition still up');
      expect(onFirst.failures).toEqual([]);
      await stack.partitionServers[0]!.resume();
      const ackedBack = onOther.acked.length;
      await eventually(() => (onOther.acked.length >= ackedBack + 10 ? true : undefined), 60_000, 'writes on the restarted partition');
    } finally {
      await stack.partitionServers[0]!.resume();
      await onFirst.stop();
      await onOther.stop();
    }
    expect(onOther.failures.every((f) => f.status === 503 && errorCode(f as ApiResponse) === ErrorCodes.UNAVAILABLE)).toBe(true);
    expect(await lostWrites(client, [...onFirst.acked, ...onOther.acked])).toEqual([]);
    // Every acknowledged write is a committed event on its session's server.
    const committed = async (pool: Pool, ids: readonly string[]) =>
      (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE session_id = ANY($1) AND type = 'session.variable_set'`, [ids])).rows[0]!.n;
    expect(await committed(second, other)).toBeGreaterThanOrEqual(onOther.acked.length);
    expect(await committed(primary, first)).toBeGreaterThanOrEqual(onFirst.acked.length);
  }, 240_000);
});
