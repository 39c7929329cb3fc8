import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import { subjects, type LockGrantView } from '@foresight/contracts';
import { shardOf } from '@foresight/hashing';
import { callRpc, encode } from '@foresight/messaging';
import { serveRpcControllers } from '@foresight/platform';
import { generateSessionId } from '@foresight/session-domain';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { systemClock } from '@foresight/time';
import { connect, type NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { LockRenewals } from '../../apps/gateway/src/locks/lock-renewals';
import { LockOps } from '../../apps/shard/src/sessions/lock-ops';
import { LocksController } from '../../apps/shard/src/sessions/locks.controller';
import { SessionOps } from '../../apps/shard/src/sessions/session-ops';
import { SessionsController } from '../../apps/shard/src/sessions/sessions.controller';
import type { ShardRuntime } from '../../apps/shard/src/shard.runtime';
import { codeOf, ctx, ErrorCodes, FakeMetadata, quietLogger, shardNode } from './shard-harness';

jest.setTimeout(20_000);

const SHARDS = 8;
const MAX_LEASE_MS = 1500;

/** A metric's value (summed over its labels) from a node's registry. */
async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((a, v) => a + v.value, 0);
}

/**
 * Session locks on shard nodes against the real Postgres and nats-server: fencing of writes by the
 * lock token, expiry, the grant record a new owner reads after a takeover, batched renewals through
 * the gateway's batcher, and bad input.
 */
describe('session locks (shard runtime, real Postgres and NATS)', () => {
  let nc: NatsConnection;
  let url: string;
  let metadata: FakeMetadata;
  let one: ReturnType<typeof shardNode>;
  let two: ReturnType<typeof shardNode>;
  let rt: ShardRuntime;
  let edge: INestMicroservice;
  const ns = uniqueName('locks');
  const env = { LOCK_MAX_LEASE_MS: String(MAX_LEASE_MS), LOCK_DEFAULT_LEASE_MS: '1000' };

  const meta = (op: string, requestId?: string) => ({ op, subject: 'test', ...ctx(requestId) });
  const newId = (): string => {
    for (;;) {
      const id = generateSessionId(one.config.session.idSecret);
      if (rt.membership.ownedShards().includes(shardOf(id, SHARDS))) return id;
    }
  };
  const create = async (runtime: ShardRuntime = rt) => {
    const id = newId();
    await runtime.sessionOps.create({ sessionId: id, userId: 'u1', groups: { cart: { items: [] } } }, meta('session.create'));
    return id;
  };
  const put = (id: string, value: unknown, lockToken?: string, runtime: ShardRuntime = rt) =>
    runtime.sessionOps.varPut({ sessionId: id, group: 'cart', name: 'items', value, ...(lockToken ? { lockToken } : {}) }, meta('var.put'));
  const acquire = (id: string, mode: 'shared' | 'exclusive', extra: Record<string, unknown> = {}, runtime: ShardRuntime = rt, requestId?: string) =>
    runtime.lockOps.acquire({ sessionId: id, mode, ...extra }, meta('lock.acquire', requestId));
  const release = (id: string, token: string, runtime: ShardRuntime = rt) => runtime.lockOps.release({ sessionId: id, token });
  const renew = (renewals: { sessionId: string; token: string; leaseMs?: number }[], runtime: ShardRuntime = rt) => runtime.lockOps.renew({ renewals });
  const recorded = async (id: string) =>
    (await one.pool.query<{ token: string }>('SELECT token FROM session_locks WHERE session_id = $1 ORDER BY token', [id])).rows.map((r) => r.token);

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    url = await createTestDatabase('locks');
    one = shardNode(nc, url, ns, env);
    rt = one.runtime;
    metadata = new FakeMetadata(nc, one.pool, ns, SHARDS);
    await metadata.start();
    // The node's ops on its NATS subject, as the app serves them.
    edge = await serveRpcControllers(
      rt.transport,
      [SessionsController, LocksController],
      [
        { provide: SessionOps, useValue: rt.sessionOps },
        { provide: LockOps, useValue: rt.lockOps },
      ],
    );
    await rt.start();
  }, 30_000);

  afterAll(async () => {
    await rt.stop().catch(() => undefined);
    await edge?.close();
    if (two) await two.runtime.stop().catch(() => undefined);
    metadata.stop();
    await one.pool.end();
    if (two) await two.pool.end();
    await nc.drain();
  });

  it('an exclusive lock admits only writes carrying its token, and is recorded before it is acknowledged', async () => {
    const id = await create();
    const lock = await acquire(id, 'exclusive', { holder: 'worker-1' });
    expect(lock).toMatchObject({ sessionId: id, mode: 'exclusive', state: 'exclusive', leaseMs: 1000 });
    expect(lock.token).toMatch(/^lk_[A-Za-z0-9_-]{22}$/);
    expect(await recorded(id)).toEqual([lock.token]);

    expect(await codeOf(put(id, [1]))).toBe(ErrorCodes.LOCK_HELD);
    expect(await codeOf(put(id, [1], 'lk_AAAAAAAAAAAAAAAAAAAAAA'))).toBe(ErrorCodes.LOCK_TOKEN_INVALID);
    expect(await put(id, [1], lock.token)).toEqual({ version: 2 });
    expect(await codeOf(acquire(id, 'exclusive'))).toBe(ErrorCodes.LOCK_HELD);
    expect(await codeOf(acquire(id, 'shared'))).toBe(ErrorCodes.LOCK_HELD);
    expect(await rt.lockOps.status({ sessionId: id })).toMatchObject({ state: 'exclusive', holders: [{ mode: 'exclusive', holder: 'worker-1' }] });

    expect(await release(id, lock.token)).toEqual({ released: true, state: 'unlocked' });
    expect(await recorded(id)).toEqual([]);
    expect(await put(id, [2])).toEqual({ version: 3 });
    // The released holder's late write is refused, though the session is unlocked.
    expect(await codeOf(put(id, [3], lock.token))).toBe(ErrorCodes.LOCK_EXPIRED);
    expect(await release(id, lock.token)).toEqual({ released: false, state: 'unlocked' });
    expect(await metric(one.metrics, 'foresight_locks_refused_total', { code: ErrorCodes.LOCK_HELD })).toBeGreaterThanOrEqual(3);
  });

  it('shared locks stack, refuse every write, and block an exclusive lock until the last is released', async () => {
    const id = await create();
    const a = await acquire(id, 'shared');
    const b = await acquire(id, 'shared');
    expect(b.state).toBe('shared');
    expect(await codeOf(put(id, [1]))).toBe(ErrorCodes.LOCK_HELD);
    expect(await codeOf(put(id, [1], a.token))).toBe(ErrorCodes.LOCK_HELD);
    expect(await codeOf(acquire(id, 'exclusive'))).toBe(ErrorCodes.LOCK_HELD);
    await release(id, a.token);
    expect(await codeOf(acquire(id, 'exclusive'))).toBe(ErrorCodes.LOCK_HELD);
    await release(id, b.token);
    expect((await acquire(id, 'exclusive')).state).toBe('exclusive');
  });

  it('a retried acquisition (same request id) gets the same grant back, not a conflict', async () => {
    const id = await create();
    const first = await acquire(id, 'exclusive', {}, rt, 'acq-1');
    const again = await acquire(id, 'exclusive', {}, rt, 'acq-1');
    expect(again.token).toBe(first.token);
    expect(await recorded(id)).toEqual([first.token]);
  });

  it("an expired lease frees the session, and the expired holder's late write is refused", async () => {
    const id = await create();
    const lock = await acquire(id, 'exclusive', { leaseMs: 200 });
    expect(await codeOf(put(id, [1]))).toBe(ErrorCodes.LOCK_HELD);
    await eventually(async () => ((await rt.lockOps.status({ sessionId: id })).state === 'unlocked' ? true : undefined), 5000, 'the lease to run out');
    expect(await codeOf(put(id, [2], lock.token))).toBe(ErrorCodes.LOCK_EXPIRED);
    const [outcome] = (await renew([{ sessionId: id, token: lock.token }])).results;
    expect(outcome).toMatchObject({ ok: false, error: { code: ErrorCodes.LOCK_EXPIRED } });
    expect(await put(id, [3])).toEqual({ version: 2 });
    // The sweep deletes the record of the expired grant.
    await eventually(async () => ((await recorded(id)).length === 0 ? true : undefined), 5000, 'the expired grant record to be deleted');
  });

  it('renewals keep a lock past its first lease; one batch renews many sessions in one request', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => create()));
    const locks = await Promise.all(ids.map((id) => acquire(id, 'exclusive', { leaseMs: 400 })));
    const before = await metric(one.metrics, 'foresight_locks_renew_batches_total');
    for (let round = 0; round < 4; round++) {
      const { results } = await renew(locks.map((l) => ({ sessionId: l.sessionId, token: l.token, leaseMs: 400 })));
      expect(results.every((r) => r.ok)).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
    }
    // 800 ms after acquiring with a 400 ms lease: still held thanks to the renewals.
    expect(await codeOf(put(ids[0]!, [1]))).toBe(ErrorCodes.LOCK_HELD);
    expect(await put(ids[0]!, [1], locks[0]!.token)).toEqual({ version: 2 });
    expect((await metric(one.metrics, 'foresight_locks_renew_batches_total')) - before).toBe(4);
    expect(await metric(one.metrics, 'foresight_locks_renewed_total')).toBeGreaterThanOrEqual(80);
  });

  it("the gateway keeps its clients' leases renewed in one request per owner per period, and lets a silent client's lock expire", async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => create()));
    const locks = await Promise.all(ids.map((id) => acquire(id, 'exclusive')));
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    const rpcSubject = subjects(ns).shardRpc('shard-t1');
    const batcher = new LockRenewals({
      // The owner table itself is the gateway's (tested elsewhere); here every session is on this node.
      directory: {
        route: async (sessionId: string) => ({ shard: shardOf(sessionId, SHARDS), nodeId: 'shard-t1', rpcSubject, epoch: 0 }),
        refresh: async () => {},
      },
      nc,
      config: { ...one.config, locks: { ...one.config.locks, renewBatchMs: 20 } },
      clock: systemClock,
      metrics: registry,
      logger: quietLogger,
    });
    batcher.start();
    const renewAll = () => Promise.allSettled(locks.map((l) => batcher.renew({ sessionId: l.sessionId, token: l.token })));
    try {
      // Renewals of locks this gateway does not hold yet: one request to the owner for all of them, each its own outcome.
      const outcomes = await Promise.allSettled([
        ...locks.map((l) => batcher.renew({ sessionId: l.sessionId, token: l.token })),
        batcher.renew({ sessionId: ids[0]!, token: 'lk_AAAAAAAAAAAAAAAAAAAAAA' }),
      ]);
      expect(outcomes.slice(0, 30).every((o) => o.status === 'fulfilled' && (o.value as LockGrantView).mode === 'exclusive')).toBe(true);
      const last = outcomes[30]!;
      expect(last.status === 'rejected' && (last.reason as { code?: string }).code).toBe(ErrorCodes.LOCK_NOT_HOLDER);
      expect(await metric(registry, 'foresight_gateway_lock_renewal_round_trips_total')).toBe(1);
      expect(await metric(registry, 'foresight_gateway_held_locks')).toBe(30);

      // The clients keep renewing (every 300 ms, 1 s leases) for three leases: answered here, the owner renewed in batches.
      for (let i = 0; i < 10; i++) {
        expect((await renewAll()).every((o) => o.status === 'fulfilled')).toBe(true);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(await codeOf(put(ids[0]!, [1]))).toBe(ErrorCodes.LOCK_HELD);
      expect(await put(ids[1]!, [1], locks[1]!.token)).toEqual({ version: 2 });
      const trips = await metric(registry, 'foresight_gateway_lock_renewal_round_trips_total');
      const sent = await metric(registry, 'foresight_gateway_lock_renewals_total');
      expect(await metric(registry, 'foresight_gateway_lock_renewals_answered_total')).toBe(300);
      // About one batch per two thirds of a lease, each with every lease: far fewer requests than renewals.
      // (No upper bound on the trips: a slow machine stretches the loop and adds batches, not renewals per batch.)
      expect(trips).toBeGreaterThanOrEqual(3);
      expect(sent / trips).toBeGreaterThanOrEqual(25);

      // The clients go silent: the gateway stops renewing at their deadline and the owner lets the locks expire.
      await eventually(
        async () => ((await rt.lockOps.status({ sessionId: ids[2]! })).state === 'unlocked' ? true : undefined),
        5000,
        "the silent client's lock to expire",
      );
      expect(await metric(registry, 'foresight_gateway_held_locks')).toBe(0);
    } finally {
      batcher.stop();
    }
  });

  it('refuses bad input with clear codes and keeps serving', async () => {
    const id = await create();
    const unknown = generateSessionId(one.config.session.idSecret);
    expect(await codeOf(acquire(id, 'forever' as never))).toBe(ErrorCodes.VALIDATION);
    expect(await codeOf(acquire(id, 'exclusive', { leaseMs: -5 }))).toBe(ErrorCodes.VALIDATION);
    expect(await codeOf(rt.lockOps.acquire('garbage', meta('lock.acquire')))).toBe(ErrorCodes.VALIDATION);
    expect(await codeOf(acquire('not-issued-by-this-cluster', 'exclusive'))).toBe(ErrorCodes.SESSION_NOT_FOUND);
    expect(await codeOf(rt.lockOps.release({ sessionId: id, token: 'not-a-token' }))).toBe(ErrorCodes.VALIDATION);
    expect(await codeOf(release(id, 'lk_AAAAAAAAAAAAAAAAAAAAAA'))).toBe(ErrorCodes.LOCK_NOT_HOLDER);
    expect(await codeOf(renew([]))).toBe(ErrorCodes.VALIDATION);
    expect(await codeOf(put(id, [1], 'lk_short'))).toBe(ErrorCodes.VALIDATION);
    if (rt.membership.ownedShards().includes(shardOf(unknown, SHARDS))) expect(await codeOf(acquire(unknown, 'exclusive'))).toBe(ErrorCodes.SESSION_NOT_FOUND);
    // Garbage on the node's subject: an error reply, and the node still answers.
    const rpc = subjects(ns).shardRpc('shard-t1');
    expect(await codeOf(callRpc(nc, rpc, 'lock.acquire', { sessionId: 42, mode: null }, { timeoutMs: 2000 }))).toBe(ErrorCodes.VALIDATION);
    expect(await codeOf(callRpc(nc, rpc, 'locks.renew', { renewals: 'all of them' }, { timeoutMs: 2000 }))).toBe(ErrorCodes.VALIDATION);
    nc.publish(rpc, encode({ not: 'a request' }));
    expect((await callRpc<LockGrantView>(nc, rpc, 'lock.acquire', { sessionId: id, mode: 'exclusive' }, { timeoutMs: 2000 })).state).toBe('exclusive');
  });

  it('after a takeover, the new owner honours every lock its predecessor granted (no new grant, no unlocked write) and the holder keeps it', async () => {
    const held = await create();
    const free = await create();
    const shard = shardOf(held, SHARDS);
    const lock = await acquire(held, 'exclusive', { leaseMs: 1000 });
    // A second node takes the shard over (the first is fenced out by the epoch).
    two = shardNode(nc, url, ns, { ...env, NODE_ID: 'shard-t2' });
    await two.runtime.start();
    await metadata.takeOver(shard, 'shard-t2');
    if (shardOf(free, SHARDS) !== shard) await metadata.takeOver(shardOf(free, SHARDS), 'shard-t2');
    metadata.bump();
    await eventually(
      async () => ((await two.runtime.membership.epochFor(shard).catch(() => undefined)) !== undefined ? true : undefined),
      5000,
      'node two to serve the shard',
    );
    const t2 = two.runtime;

    expect(await codeOf(put(held, [9], undefined, t2))).toBe(ErrorCodes.LOCK_HELD);
    expect(await codeOf(acquire(held, 'exclusive', {}, t2))).toBe(ErrorCodes.LOCK_HELD);
    expect(await put(held, [9], lock.token, t2)).toMatchObject({ version: 2 });
    const [renewed] = (await renew([{ sessionId: held, token: lock.token }], t2)).results;
    expect(renewed).toMatchObject({ ok: true, lock: { token: lock.token, state: 'exclusive' } });
    expect(await metric(two.metrics, 'foresight_locks_recovered_total')).toBeGreaterThanOrEqual(1);
    // A session without a recorded lock is writable at once on the new owner.
    expect(await put(free, [1], undefined, t2)).toMatchObject({ version: 2 });
    // The old owner no longer decides: it lost the shard.
    expect(await codeOf(put(held, [10], lock.token))).toMatch(/SHARD.NOT_OWNER|SERVICE.UNAVAILABLE/);
    // Not renewed any more: the lock ends (at the latest a maximum lease after the takeover) and the late token is refused.
    await eventually(
      async () => ((await t2.lockOps.status({ sessionId: held })).state === 'unlocked' ? true : undefined),
      3 * MAX_LEASE_MS + 2000,
      'the lock to expire',
    );
    expect(await codeOf(put(held, [11], lock.token, t2))).toBe(ErrorCodes.LOCK_EXPIRED);
    expect(await put(held, [12], undefined, t2)).toMatchObject({ version: 3 });
  }, 20_000);
});
