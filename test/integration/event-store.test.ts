import { ErrorCodes, ForesightError, type SessionEvent } from '@foresight/contracts';
import { createPool, EventStore } from '@foresight/persistence';
import { decide, replay, type SessionPolicy } from '@foresight/session-domain';
import { createTestDatabase } from '@foresight/testing';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

const policy: SessionPolicy = { groups: ['cart'], maxVariableBytes: 1024, maxSessionBytes: 1 << 20, idleTimeoutMs: 3_600_000, absoluteTimeoutMs: 86_400_000, idleGraceMs: 0 };
const ctx = () => ({ now: Date.now(), correlationId: 'c', causationId: 'k', newEventId: randomUUID });

describe('EventStore against a real Postgres', () => {
  let pool: Pool;
  let store: EventStore;

  beforeAll(async () => {
    pool = createPool(await createTestDatabase('evstore'), 10, 'test');
    await pool.query(`INSERT INTO shards (shard, owner_node, epoch) SELECT s, 'node-a', 1 FROM generate_series(0, 15) s`);
    store = new EventStore(pool, 'node-a');
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
  });

  const create = (sessionId: string, shard = 1) => decide({ kind: 'create', sessionId, shard, userId: null, groups: {} }, undefined, policy, ctx());

  it('appends, then replays the same state (snapshot + later events)', async () => {
    const id = randomUUID();
    let events: SessionEvent[] = create(id);
    await store.append({ sessionId: id, shard: 1, epoch: 1, expectedVersion: 0, events });
    for (let i = 0; i < 5; i++) {
      const state = replay(events);
      const next = decide({ kind: 'put', group: 'cart', name: `item${i}`, value: i }, state, policy, ctx());
      const r = await store.append({ sessionId: id, shard: 1, epoch: 1, expectedVersion: state!.version, events: next });
      expect(r.newVersion).toBe(state!.version + 1);
      events = [...events, ...next];
      if (i === 2) await store.saveSnapshot(id, replay(events)!.version, replay(events));
    }
    const loaded = await store.load(id);
    expect(loaded.snapshot?.version).toBe(4);
    expect(loaded.events.map((e) => e.streamVersion)).toEqual([5, 6]);
    const rebuilt = replay(loaded.events.map((e) => e.event), loaded.snapshot!.state as never);
    expect(rebuilt).toEqual(replay(events));
  });

  it('refuses an append carrying a stale epoch (fencing)', async () => {
    const id = randomUUID();
    await store.append({ sessionId: id, shard: 2, epoch: 1, expectedVersion: 0, events: create(id, 2) });
    await pool.query(`UPDATE shards SET owner_node = 'node-b', epoch = epoch + 1 WHERE shard = 2`);
    const stale = store.append({ sessionId: id, shard: 2, epoch: 1, expectedVersion: 1, events: decide({ kind: 'end', reason: 'client' }, replay(create(id, 2)), policy, ctx()) });
    await expect(stale).rejects.toMatchObject({ code: ErrorCodes.STALE_EPOCH });
    expect((await store.readStream(id)).length).toBe(1);
    // The successor, at the new epoch, can write.
    const successor = new EventStore(pool, 'node-b');
    await successor.append({ sessionId: id, shard: 2, epoch: 2, expectedVersion: 1, events: decide({ kind: 'end', reason: 'client' }, replay(create(id, 2)), policy, ctx()) });
    await successor.close();
    expect((await store.readStream(id)).length).toBe(2);
  });

  it('reports a version conflict without losing the other appends in the batch', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await Promise.all([store.append({ sessionId: a, shard: 3, epoch: 1, expectedVersion: 0, events: create(a, 3) }), store.append({ sessionId: b, shard: 3, epoch: 1, expectedVersion: 0, events: create(b, 3) })]);
    const put = (id: string) => decide({ kind: 'put', group: 'cart', name: 'x', value: id }, replay(create(id, 3)), policy, ctx());
    const results = await Promise.allSettled([
      store.append({ sessionId: a, shard: 3, epoch: 1, expectedVersion: 1, events: put(a) }),
      store.append({ sessionId: a, shard: 3, epoch: 1, expectedVersion: 1, events: put(a) }),
      store.append({ sessionId: b, shard: 3, epoch: 1, expectedVersion: 1, events: put(b) }),
    ]);
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected).toHaveLength(1);
    expect((rejected[0].reason as ForesightError).code).toBe(ErrorCodes.SESSION_VERSION_CONFLICT);
    expect((await store.readStream(a)).length).toBe(2);
    expect((await store.readStream(b)).length).toBe(2);
  });

  it('appends a multi-event decision atomically, fenced, in one transaction', async () => {
    const id = randomUUID();
    const created = create(id, 3);
    const two = [
      ...decide({ kind: 'put', group: 'cart', name: 'a', value: 1 }, replay(created), policy, ctx()),
      ...decide({ kind: 'put', group: 'cart', name: 'b', value: 2 }, replay(created), policy, ctx()),
    ];
    const r = await store.append({ sessionId: id, shard: 3, epoch: 1, expectedVersion: 0, events: [...created, ...two] });
    expect(r.newVersion).toBe(3);
    expect((await store.readStream(id)).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    // A second multi-event append at a stale version commits nothing at all.
    await expect(store.append({ sessionId: id, shard: 3, epoch: 1, expectedVersion: 2, events: two })).rejects.toMatchObject({ code: ErrorCodes.SESSION_VERSION_CONFLICT });
    await expect(store.append({ sessionId: id, shard: 3, epoch: 0, expectedVersion: 3, events: two })).rejects.toMatchObject({ code: ErrorCodes.STALE_EPOCH });
    expect((await store.readStream(id)).length).toBe(3);
  });

  it('group-commits concurrent appends with no lost or duplicated event', async () => {
    const sessions = Array.from({ length: 200 }, () => randomUUID());
    const before = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    const rounds = 5;
    const versions = new Map(sessions.map((s) => [s, 0]));
    const states = new Map<string, ReturnType<typeof replay>>();
    for (let round = 0; round < rounds; round++) {
      await Promise.all(
        sessions.map(async (id, k) => {
          const shard = 4 + (k % 12); // shards 0–3 are used (and moved) by the tests above
          const events = round === 0 ? create(id, shard) : decide({ kind: 'put', group: 'cart', name: 'n', value: round }, states.get(id), policy, ctx());
          const r = await store.append({ sessionId: id, shard, epoch: 1, expectedVersion: versions.get(id)!, events });
          versions.set(id, r.newVersion);
          states.set(id, replay(events, states.get(id)));
        }),
      );
    }
    const after = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    expect(after.rows[0].n - before.rows[0].n).toBe(sessions.length * rounds);
    const perSession = await pool.query<{ session_id: string; n: number; maxv: number }>(
      'SELECT session_id, count(*)::int AS n, max(stream_version) AS maxv FROM events WHERE session_id = ANY($1) GROUP BY session_id',
      [sessions],
    );
    expect(perSession.rows).toHaveLength(sessions.length);
    for (const row of perSession.rows) expect([row.n, row.maxv]).toEqual([rounds, rounds]);
    const outbox = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox o JOIN events e USING (position) WHERE e.session_id = ANY($1)', [sessions]);
    expect(outbox.rows[0].n).toBe(sessions.length * rounds);
  });
});
