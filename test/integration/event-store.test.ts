import { ErrorCodes, ForesightError, type SessionEvent } from '@foresight/contracts';
import { createPool, EventStore } from '@foresight/persistence';
import { decide, replay, type SessionPolicy } from '@foresight/session-domain';
import { createTestDatabase } from '@foresight/testing';
import { randomUUID } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { policy, ctx } from './session-events';

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
    const rebuilt = replay(
      loaded.events.map((e) => e.event),
      loaded.snapshot!.state as never,
    );
    expect(rebuilt).toEqual(replay(events));
  });

  it('loads only the groups asked for: their snapshot rows, the core and the later events', async () => {
    const groups: SessionPolicy = { ...policy, groups: ['auth', 'cart'], maxVariableBytes: 64 * 1024 };
    const id = randomUUID();
    let events: SessionEvent[] = decide(
      { kind: 'create', sessionId: id, shard: 1, userId: 'u', groups: { auth: { token: 't' }, cart: { items: 'x'.repeat(20_000) } } },
      undefined,
      groups,
      ctx(),
    );
    await store.append({ sessionId: id, shard: 1, epoch: 1, expectedVersion: 0, events });
    const put = decide({ kind: 'put', group: 'auth', name: 'role', value: 'admin' }, replay(events), groups, ctx());
    await store.append({ sessionId: id, shard: 1, epoch: 1, expectedVersion: 1, events: put });
    events = [...events, ...put];
    await store.saveSnapshot(id, 2, replay(events));
    const later = decide({ kind: 'put', group: 'auth', name: 'seen', value: 1 }, replay(events), groups, ctx());
    await store.append({ sessionId: id, shard: 1, epoch: 1, expectedVersion: 2, events: later });
    events = [...events, ...later];

    const full = await store.load(id);
    const part = await store.load(id, ['auth']);
    // Core + two group rows + one event, against core + one group row + one event.
    expect(full.read.rows).toBe(4);
    expect(part.read.rows).toBe(3);
    expect(full.read.bytes).toBeGreaterThan(20_000);
    expect(part.read.bytes).toBeLessThan(2_000);
    const whole = replay(
      full.events.map((e) => e.event),
      full.snapshot!.state as never,
    );
    expect(whole).toEqual(replay(events));
    const partial = replay(
      part.events.map((e) => e.event),
      part.snapshot!.state as never,
    )!;
    // The core is whole (version, sizes of every group); only the auth group's values are there.
    expect(partial.version).toBe(3);
    expect(partial.totalBytes).toBe(whole!.totalBytes);
    expect(Object.keys(partial.groups)).toEqual(['auth']);
    expect(partial.groups.auth).toEqual({ token: 't', role: 'admin', seen: 1 });
  });

  it('keeps a newer snapshot and drops the rows of groups emptied since', async () => {
    const id = randomUUID();
    const created = decide({ kind: 'create', sessionId: id, shard: 1, userId: null, groups: { cart: { a: 1 } } }, undefined, policy, ctx());
    await store.append({ sessionId: id, shard: 1, epoch: 1, expectedVersion: 0, events: created });
    const state = replay(created)!;
    await store.saveSnapshot(id, 5, { ...state, version: 5 });
    await store.saveSnapshot(id, 3, { ...state, version: 3, groups: {} });
    expect((await store.load(id)).snapshot!.version).toBe(5);
    expect(((await store.load(id)).snapshot!.state as { groups: object }).groups).toEqual({ cart: { a: 1 } });
    await store.saveSnapshot(id, 7, { ...state, version: 7, groups: {} });
    expect(((await store.load(id)).snapshot!.state as { groups: object }).groups).toEqual({});
    const rows = await pool.query('SELECT grp FROM snapshot_groups WHERE session_id = $1', [id]);
    expect(rows.rowCount).toBe(0);
  });

  it('answers the head version of a session (0 for none) and the events after a version', async () => {
    const id = randomUUID();
    expect(await store.headVersion(id)).toBe(0);
    const created = create(id, 2);
    await store.append({ sessionId: id, shard: 2, epoch: 1, expectedVersion: 0, events: created });
    const put = decide({ kind: 'put', group: 'cart', name: 'a', value: 1 }, replay(created), policy, ctx());
    await store.append({ sessionId: id, shard: 2, epoch: 1, expectedVersion: 1, events: put });
    expect(await store.headVersion(id)).toBe(2);
    expect((await store.readStreamAfter(id, 1)).map((e) => [e.streamVersion, e.event.type])).toEqual([[2, 'session.variable_set']]);
    expect(await store.readStreamAfter(id, 2)).toEqual([]);
  });

  it('refuses an append carrying a stale epoch (fencing)', async () => {
    const id = randomUUID();
    await store.append({ sessionId: id, shard: 2, epoch: 1, expectedVersion: 0, events: create(id, 2) });
    await pool.query(`UPDATE shards SET owner_node = 'node-b', epoch = epoch + 1 WHERE shard = 2`);
    const stale = store.append({
      sessionId: id,
      shard: 2,
      epoch: 1,
      expectedVersion: 1,
      events: decide({ kind: 'end', reason: 'client' }, replay(create(id, 2)), policy, ctx()),
    });
    await expect(stale).rejects.toMatchObject({ code: ErrorCodes.STALE_EPOCH });
    expect((await store.readStream(id)).length).toBe(1);
    // The successor, at the new epoch, can write.
    const successor = new EventStore(pool, 'node-b');
    await successor.append({
      sessionId: id,
      shard: 2,
      epoch: 2,
      expectedVersion: 1,
      events: decide({ kind: 'end', reason: 'client' }, replay(create(id, 2)), policy, ctx()),
    });
    await successor.close();
    expect((await store.readStream(id)).length).toBe(2);
  });

  it('reports a version conflict without losing the other appends in the batch', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await Promise.all([
      store.append({ sessionId: a, shard: 3, epoch: 1, expectedVersion: 0, events: create(a, 3) }),
      store.append({ sessionId: b, shard: 3, epoch: 1, expectedVersion: 0, events: create(b, 3) }),
    ]);
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
    await expect(store.append({ sessionId: id, shard: 3, epoch: 1, expectedVersion: 2, events: two })).rejects.toMatchObject({
      code: ErrorCodes.SESSION_VERSION_CONFLICT,
    });
    await expect(store.append({ sessionId: id, shard: 3, epoch: 0, expectedVersion: 3, events: two })).rejects.toMatchObject({ code: ErrorCodes.STALE_EPOCH });
    expect((await store.readStream(id)).length).toBe(3);
  });

  /**
   * A batch with one append Postgres refuses (a NUL in a text column, past any validation) plus many
   * good ones, all submitted in one tick: the first two go out alone, the rest share one statement.
   */
  async function batchWithOneBadAppend(shard: number, eventsOf: (id: string, bad: boolean) => SessionEvent[]) {
    const ids = Array.from({ length: 120 }, () => randomUUID());
    const badIndex = 77;
    const statements: number[] = [];
    const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const query = proto.query;
    // Records how many appends each attempted INSERT carried (the real query still runs).
    proto.query = function (this: unknown, ...args: unknown[]) {
      // As text and values, or as one named statement's config object.
      const [first, second] = args as [unknown, unknown[] | undefined];
      const named = typeof first === 'object' && first !== null ? (first as { text?: unknown; values?: unknown[] }) : undefined;
      const sql = named ? named.text : first;
      const params = named ? named.values : second;
      if (typeof sql === 'string' && sql.includes('INSERT INTO events') && Array.isArray(params?.[0])) statements.push(new Set(params[0] as string[]).size);
      return query.apply(this, args);
    };
    const appends = ids.map((id, k) => ({ sessionId: id, shard, epoch: 1, expectedVersion: 0, events: eventsOf(id, k === badIndex) }));
    let settled: PromiseSettledResult<Awaited<ReturnType<EventStore['append']>>>[];
    try {
      settled = await Promise.allSettled(appends.map((a) => store.append(a)));
    } finally {
      proto.query = query;
    }
    return { ids, badIndex, settled, appends, statements };
  }

  async function expectOnlyTheBadOneFailed(r: Awaited<ReturnType<typeof batchWithOneBadAppend>>) {
    // The bad append went out together with others at least once: group commit really batched it.
    expect(Math.max(...r.statements)).toBeGreaterThan(1);
    expect(r.settled[r.badIndex]).toMatchObject({ status: 'rejected', reason: { code: '22021' } });
    const stored = await pool.query<{ session_id: string; stream_version: number; position: number }>(
      'SELECT session_id, stream_version, position FROM events WHERE session_id = ANY($1) ORDER BY position',
      [r.ids],
    );
    const bySession = new Map<string, { stream_version: number; position: number }[]>();
    for (const row of stored.rows) bySession.set(row.session_id, [...(bySession.get(row.session_id) ?? []), row]);
    expect(bySession.has(r.ids[r.badIndex])).toBe(false);
    r.settled.forEach((s, k) => {
      if (k === r.badIndex) return;
      expect(s.status).toBe('fulfilled');
      const result = (s as PromiseFulfilledResult<Awaited<ReturnType<EventStore['append']>>>).value;
      const rows = bySession.get(r.ids[k]) ?? [];
      // Committed exactly once, at the versions and positions the caller was told.
      expect(result.newVersion).toBe(r.appends[k].events.length);
      expect(rows.map((row) => row.stream_version)).toEqual(r.appends[k].events.map((_, i) => i + 1));
      expect(rows.map((row) => Number(row.position))).toEqual(result.positions);
    });
    const index = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM session_index WHERE session_id = ANY($1)', [r.ids]);
    expect(index.rows[0].n).toBe(r.ids.length - 1);
    const outbox = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM outbox_batches b CROSS JOIN LATERAL unnest(b.positions) AS p(position) JOIN events e USING (position) WHERE e.session_id = ANY($1)',
      [r.ids],
    );
    expect(outbox.rows[0].n).toBe(stored.rows.length);
  }

  it('fails only the append Postgres refuses when it shares a one-statement batch with others', async () => {
    const createWith = (id: string, bad: boolean) =>
      decide({ kind: 'create', sessionId: id, shard: 0, userId: bad ? 'nul\u0000user' : `u-${id}`, groups: {} }, undefined, policy, ctx());
    await expectOnlyTheBadOneFailed(await batchWithOneBadAppend(0, createWith));
  });

  it('fails only the append Postgres refuses when it shares a transactional (multi-event) batch with others', async () => {
    const createAndPut = (id: string, bad: boolean) => {
      const created = decide({ kind: 'create', sessionId: id, shard: 0, userId: null, groups: {} }, undefined, policy, ctx());
      const put = decide({ kind: 'put', group: 'cart', name: 'x', value: 'a\u0000b' }, replay(created), policy, {
        ...ctx(),
        correlationId: bad ? 'c\u0000' : 'c',
      });
      return [...created, ...put];
    };
    await expectOnlyTheBadOneFailed(await batchWithOneBadAppend(0, createAndPut));
  });

  it('keeps fencing and version conflicts exact while it isolates a refused append', async () => {
    await pool.query(`UPDATE shards SET owner_node = 'node-b' WHERE shard = 2`); // shard 2 is no longer ours
    const existing = randomUUID();
    await store.append({ sessionId: existing, shard: 0, epoch: 1, expectedVersion: 0, events: create(existing, 0) });
    const created = (id: string, shard: number, userId: string | null = null) =>
      decide({ kind: 'create', sessionId: id, shard, userId, groups: {} }, undefined, policy, ctx());
    const ids = Array.from({ length: 60 }, () => randomUUID());
    const appends = ids.map((id, k) => {
      if (k === 20) return { sessionId: existing, shard: 0, epoch: 1, expectedVersion: 0, events: created(existing, 0) }; // version taken
      if (k === 40) return { sessionId: id, shard: 2, epoch: 1, expectedVersion: 0, events: created(id, 2) }; // fenced off
      return { sessionId: id, shard: 0, epoch: 1, expectedVersion: 0, events: created(id, 0, k === 30 ? '\u0000' : 'u') };
    });
    const settled = await Promise.allSettled(appends.map((a) => store.append(a)));
    expect(settled[20]).toMatchObject({ status: 'rejected', reason: { code: ErrorCodes.SESSION_VERSION_CONFLICT } });
    expect(settled[30]).toMatchObject({ status: 'rejected', reason: { code: '22021' } });
    expect(settled[40]).toMatchObject({ status: 'rejected', reason: { code: ErrorCodes.STALE_EPOCH } });
    expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(57);
    expect((await store.readStream(existing)).length).toBe(1);
    const n = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE session_id = ANY($1)', [ids]);
    expect(n.rows[0].n).toBe(57);
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
    const outbox = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM outbox_batches b CROSS JOIN LATERAL unnest(b.positions) AS p(position) JOIN events e USING (position) WHERE e.session_id = ANY($1)',
      [sessions],
    );
    expect(outbox.rows[0].n).toBe(sessions.length * rounds);
  });
});
