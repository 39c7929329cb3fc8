import { shardOf } from '@foresight/hashing';
import { generateSessionId } from '@foresight/session-domain';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { ShardRuntime } from '../../apps/shard/src/shard.runtime';
import { ctx, FakeMetadata, shardNode } from './shard-harness';

jest.setTimeout(20_000);

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((a, v) => a + v.value, 0);
}

/**
 * The shard node's bounded memory against the real Postgres and nats-server: loaded sessions stay
 * under the byte budget (least recently used evicted first), idle ones are evicted after the TTL,
 * evicted sessions reload with every acknowledged write, and a locked session stays in memory.
 */
describe('bounded session memory on a shard node (real Postgres and NATS)', () => {
  let nc: NatsConnection;
  let metadata: FakeMetadata;
  let node: ReturnType<typeof shardNode>;
  let rt: ShardRuntime;
  const ns = uniqueName('shmem');
  const BUDGET = 40_000;
  const meta = (op: string) => ({ op, subject: 'test', ...ctx() });
  const newId = (): string => {
    for (;;) {
      const id = generateSessionId(node.config.session.idSecret);
      if (rt.membership.ownedShards().includes(shardOf(id, 8))) return id;
    }
  };
  const blob = (n: number) => 'x'.repeat(n);

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    const url = await createTestDatabase('shmem');
    node = shardNode(nc, url, ns, { SESSION_MEMORY_BUDGET_BYTES: String(BUDGET), SESSION_MEMORY_IDLE_TTL_MS: '300' });
    rt = node.runtime;
    metadata = new FakeMetadata(nc, node.pool, ns, 8);
    await metadata.start();
    await rt.start();
  }, 30_000);

  afterAll(async () => {
    await rt.stop().catch(() => undefined);
    metadata.stop();
    await node.pool.end();
    await nc.drain();
  });

  it('stays within the byte budget, evicting the least recently used, and reloads evicted sessions with all their writes', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = newId();
      ids.push(id);
      await rt.sessionOps.create({ sessionId: id, userId: `u${i}`, groups: { cart: { note: blob(1000) } } }, meta('session.create'));
      await rt.sessionOps.varPut({ sessionId: id, group: 'cart', name: 'items', value: [i, blob(500)] }, meta('var.put'));
      expect(rt.sessions.residentBytes).toBeLessThanOrEqual(BUDGET);
    }
    expect(rt.sessions.inMemory).toBeLessThan(30);
    expect(await metric(node.metrics, 'foresight_session_evictions_total', { reason: 'budget' })).toBeGreaterThan(0);
    expect(await metric(node.metrics, 'foresight_sessions_resident_bytes')).toBe(rt.sessions.residentBytes);
    // The most recent are resident, the first was evicted.
    expect(rt.sessions.isResident(ids[29]!)).toBe(true);
    expect(rt.sessions.isResident(ids[0]!)).toBe(false);

    const loadsBefore = await metric(node.metrics, 'foresight_session_loads_total');
    for (const [i, id] of ids.entries()) {
      const view = await rt.sessionOps.get({ sessionId: id });
      expect(view.version).toBe(2);
      expect(view.groups.cart).toEqual({ note: blob(1000), items: [i, blob(500)] });
    }
    expect(await metric(node.metrics, 'foresight_session_loads_total')).toBeGreaterThan(loadsBefore);
    expect(await metric(node.metrics, 'foresight_session_memory_hits_total')).toBeGreaterThan(0);
    // A write to an evicted session applies on top of everything acknowledged before.
    const first = ids[0]!;
    expect(rt.sessions.isResident(first)).toBe(false);
    expect(await rt.sessionOps.varPut({ sessionId: first, group: 'cart', name: 'items', value: ['after'] }, meta('var.put'))).toEqual({ version: 3 });
    expect((await rt.sessionOps.varGet({ sessionId: first, group: 'cart', name: 'items' })).value).toEqual(['after']);
  });

  it('evicts sessions idle for the TTL, keeps a locked one, and the lock survives', async () => {
    const idle = newId();
    const locked = newId();
    for (const id of [idle, locked]) await rt.sessionOps.create({ sessionId: id, userId: null, groups: { cart: { n: 1 } } }, meta('session.create'));
    const lock = await rt.lockOps.acquire({ sessionId: locked, mode: 'exclusive', leaseMs: 10_000 }, meta('lock.acquire'));
    await eventually(
      async () => {
        await rt.expiry.sweep();
        return rt.sessions.isResident(idle) ? undefined : true;
      },
      5000,
      'the idle session to be evicted',
    );
    expect(await metric(node.metrics, 'foresight_session_evictions_total', { reason: 'idle' })).toBeGreaterThan(0);
    expect(rt.sessions.isResident(locked)).toBe(true);
    expect((await rt.sessionOps.get({ sessionId: idle })).groups.cart).toEqual({ n: 1 });
    const write = rt.sessionOps.varPut({ sessionId: locked, group: 'cart', name: 'n', value: 2 }, meta('var.put'));
    await expect(write).rejects.toMatchObject({ code: 'LOCK.HELD' });
    expect(await rt.sessionOps.varPut({ sessionId: locked, group: 'cart', name: 'n', value: 2, lockToken: lock.token }, meta('var.put'))).toEqual({
      version: 2,
    });
  });
});
