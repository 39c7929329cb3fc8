import { shardOf } from '@foresight/hashing';
import { generateSessionId } from '@foresight/session-domain';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { ShardEvents } from '../../apps/shard/src/events/shard-events';
import type { ShardRuntime } from '../../apps/shard/src/shard.runtime';
import { codeOf, ctx, ErrorCodes, FakeMetadata, shardNode } from './shard-harness';

/**
 * The shard node's write path without Nest: the runtime's SessionsService, membership and event
 * store against the real Postgres and nats-server, with a stand-in metadata service on the bus.
 */
describe('shard write path (runtime without Nest, real Postgres and NATS)', () => {
  let nc: NatsConnection;
  let url: string;
  let metadata: FakeMetadata;
  let node: ReturnType<typeof shardNode>;
  let rt: ShardRuntime;
  let pool: Pool;
  const ns = uniqueName('shardw');
  const seen: { [K in keyof ShardEvents]?: ShardEvents[K][] } = {};
  const record = <K extends keyof ShardEvents>(name: K) =>
    rt.events.on(name, (e) => {
      const list: ShardEvents[K][] = (seen[name] ??= []) as ShardEvents[K][];
      list.push(e);
    });

  /** A new session id on a shard this node owns (some tests move shards away). */
  const newId = (): string => {
    for (;;) {
      const id = generateSessionId(node.config.session.idSecret);
      if (rt.membership.ownedShards().includes(shardOf(id, 8))) return id;
    }
  };
  const create = (id: string, extra: Record<string, unknown> = {}) =>
    rt.sessionOps.create({ sessionId: id, userId: 'u1', groups: { cart: { items: [1] } }, ...extra }, { op: 'session.create', subject: 'test', ...ctx() });
  const put = (id: string, value: unknown, requestId?: string, expectedVersion?: number) =>
    rt.sessionOps.varPut(
      { sessionId: id, group: 'cart', name: 'items', value, ...(expectedVersion !== undefined ? { expectedVersion } : {}) },
      { op: 'var.put', subject: 'test', ...ctx(requestId) },
    );
  const eventsOf = async (id: string) =>
    (await pool.query<{ type: string }>('SELECT type FROM events WHERE session_id = $1 ORDER BY stream_version', [id])).rows.map((r) => r.type);

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    url = await createTestDatabase('shardw');
    // The stand-in metadata service moves no shard on a leave with handoff: the node leaves at once, as before that existed.
    node = shardNode(nc, url, ns, { TRANSFER_LEAVE_MS: '0' });
    rt = node.runtime;
    pool = node.pool;
    metadata = new FakeMetadata(nc, pool, ns, node.config.cluster.shardCount);
    await metadata.start();
    for (const name of ['session.loaded', 'session.committed', 'action.recorded', 'session.ended', 'shards.lost'] as const) record(name);
    await rt.start();
  }, 30_000);

  afterAll(async () => {
    await rt.stop().catch(() => undefined);
    metadata.stop();
    await pool.end();
    await nc.drain();
  });

  it('acquires every free shard at start, at the epoch the store fences with', async () => {
    expect(rt.membership.ownedShards().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const { rows } = await pool.query<{ epoch: string }>('SELECT epoch FROM shards WHERE shard = 3');
    expect(await rt.membership.epochFor(3)).toBe(Number(rows[0]!.epoch));
  });

  it('creates, writes, reads and ends a session; each commit is announced and published', async () => {
    const id = newId();
    const view = await create(id);
    expect(view).toMatchObject({ id, version: 1, status: 'active', owner: { nodeId: 'shard-t1', shard: shardOf(id, 8) } });
    expect(await put(id, [1, 2])).toEqual({ version: 2 });
    expect(await rt.sessionOps.varGet({ sessionId: id, group: 'cart', name: 'items' })).toEqual({ value: [1, 2], version: 2 });
    expect(await rt.sessionOps.recordAction({ sessionId: id, action: 'view_product:7' }, { op: 'session.record_action', subject: 'test', ...ctx() })).toEqual({
      version: 3,
    });
    expect(await rt.sessionOps.end({ sessionId: id }, { op: 'session.end', subject: 'test', ...ctx() })).toEqual({ version: 4 });
    expect(await codeOf(rt.sessions.read(id))).toBe(ErrorCodes.SESSION_ENDED);

    expect(await eventsOf(id)).toEqual(['session.created', 'session.variable_set', 'session.action_recorded', 'session.ended']);
    expect(seen['session.committed']!.filter((e) => e.sessionId === id).map((e) => e.firstVersion)).toEqual([1, 2, 3, 4]);
    expect(seen['action.recorded']).toContainEqual({ sessionId: id, action: 'view_product:7', userId: 'u1' });
    expect(seen['session.ended']).toContainEqual({ sessionId: id });
    // Published to JetStream and cleared from the outbox.
    await eventually(async () => ((await pool.query('SELECT 1 FROM outbox_batches')).rowCount === 0 ? true : undefined), 10_000, 'outbox drained');
  });

  it('refuses a write against a version it did not read (SESSION.VERSION_CONFLICT) and a bad request (REQUEST.INVALID)', async () => {
    const id = newId();
    await create(id);
    await put(id, 'a');
    expect(await codeOf(put(id, 'b', undefined, 1))).toBe(ErrorCodes.SESSION_VERSION_CONFLICT);
    expect(await codeOf(rt.sessionOps.varPut({ sessionId: id, group: 'cart' }, { op: 'var.put', subject: 'test', ...ctx() }))).toBe(ErrorCodes.VALIDATION);
    expect(await eventsOf(id)).toEqual(['session.created', 'session.variable_set']);
  });

  it('applies a retried write once (same request id) and refuses the id reused for another request', async () => {
    const id = newId();
    await create(id);
    expect(await put(id, 'x', 'req:retry-1')).toEqual({ version: 2 });
    expect(await put(id, 'x', 'req:retry-1')).toEqual({ version: 2 });
    expect(await codeOf(put(id, 'y', 'req:retry-1'))).toBe(ErrorCodes.IDEMPOTENCY_KEY_REUSED);
    expect(await eventsOf(id)).toEqual(['session.created', 'session.variable_set']);
    expect((await node.metrics.getSingleMetric('foresight_duplicate_writes_total')!.get()).values[0]!.value).toBeGreaterThanOrEqual(1);
  });

  it("fences a write once its shard moved behind the node's back (stale epoch): SHARD.NOT_OWNER, nothing appended", async () => {
    const id = newId();
    await create(id);
    const shard = shardOf(id, 8);
    await metadata.takeOver(shard, 'someone-else');
    expect(await codeOf(put(id, 'late'))).toBe(ErrorCodes.NOT_OWNER);
    expect(await eventsOf(id)).toEqual(['session.created']);
    // The refused append made the node re-read the assignment: the shard is gone, its sessions dropped.
    metadata.bump();
    await eventually(() => (rt.membership.ownedShards().includes(shard) ? undefined : true), 10_000, 'the shard released');
    expect(seen['shards.lost']!.some((e) => e.shards.includes(shard))).toBe(true);
    expect(await codeOf(rt.sessions.read(id))).toBe(ErrorCodes.NOT_OWNER);
  });

  it('holds requests for a shard in handoff until its previous owner releases it, then serves them', async () => {
    const id = newId();
    const shard = shardOf(id, 8);
    await create(id);
    metadata.notReady.add(shard);
    metadata.bump();
    await eventually(() => rt.membership.refresh().then(() => true), 5000);
    expect(await codeOf(rt.sessions.read(id))).toBe(ErrorCodes.UNAVAILABLE);
    const held = rt.sessions.read(id);
    metadata.notReady.delete(shard);
    metadata.bump();
    await expect(held).resolves.toMatchObject({ id });
  });

  it('ends sessions past their idle timeout, whether in memory or only in the index', async () => {
    const inMemory = newId();
    const onlyIndexed = newId();
    await create(inMemory, { idleTimeoutMs: 1000 });
    await create(onlyIndexed, { idleTimeoutMs: 1000 });
    rt.sessions.dropShards(new Set([shardOf(onlyIndexed, 8)])); // as after a restart: not in memory
    await eventually(
      async () => {
        await rt.expiry.sweep();
        return (await eventsOf(inMemory)).includes('session.ended') && (await eventsOf(onlyIndexed)).includes('session.ended') ? true : undefined;
      },
      15_000,
      'both sessions expired',
    );
    expect(await codeOf(rt.sessions.read(inMemory))).toBe(ErrorCodes.SESSION_ENDED);
    expect(seen['session.ended']).toEqual(expect.arrayContaining([{ sessionId: inMemory }, { sessionId: onlyIndexed }]));
  });

  it('stops gracefully: every acknowledged write is committed and published, then the node leaves and hands its shards back', async () => {
    const ids = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const id = newId();
        await create(id);
        return id;
      }),
    );
    const owned = rt.membership.ownedShards();
    const lostBefore = seen['shards.lost']?.length ?? 0;
    const writes = ids.flatMap((id) =>
      [1, 2, 3, 4].map((v) =>
        put(id, v).then(
          () => 1,
          () => 0,
        ),
      ),
    );
    await rt.stop();
    const acknowledged = (await Promise.all(writes)).reduce<number>((a, b) => a + b, 0);
    expect(acknowledged).toBeGreaterThan(0);
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE session_id = ANY($1::text[]) AND type = 'session.variable_set'`, [
      ids,
    ]);
    expect(Number(rows[0]!.n)).toBe(acknowledged);
    expect((await pool.query('SELECT 1 FROM outbox_batches')).rowCount).toBe(0);
    expect(metadata.left).toContain('shard-t1');
    expect((await pool.query('SELECT 1 FROM shards WHERE owner_node = $1', ['shard-t1'])).rowCount).toBe(0);
    expect(
      seen['shards.lost']!.slice(lostBefore)
        .flatMap((e) => e.shards)
        .sort(),
    ).toEqual([...owned].sort());
    expect(await codeOf(rt.sessions.read(ids[0]!))).toBe(ErrorCodes.NOT_OWNER);
  });
});
