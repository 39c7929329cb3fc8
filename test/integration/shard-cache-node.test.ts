import { loadConfig, loadOriginExampleConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { generateSessionId } from '@foresight/session-domain';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { ManualClock } from '@foresight/time';
import { connect, type NatsConnection } from 'nats';
import { OriginServer } from '../../apps/origin-example/src/origin-server';
import { CacheNodeService } from '../../apps/shard/src/cache/cache-node.service';
import type { ShardRuntime } from '../../apps/shard/src/shard.runtime';
import { ctx, FakeMetadata, quietLogger, shardNode } from './shard-harness';

/** The shard node's predictive cache against the real example origin (HTTP) and a real nats-server, without Nest. */
describe('shard cache node (no Nest, real origin)', () => {
  let nc: NatsConnection;
  let server: OriginServer;
  let base: string;

  const origins = () =>
    JSON.stringify([{ id: 'example', pattern: 'doc:{id}', kind: 'http', url: `${base}/items/{key}`, ttlMs: 1000, timeoutMs: 600, retries: 1 }]);
  const admin = (method: string, path: string, body: unknown) =>
    fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
  const served = (key: string) => server.stats.keys[key] ?? 0;

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    server = new OriginServer(loadOriginExampleConfig({}, ['--port', '0', '--latency-ms', '5', '--payload-bytes', '200']));
    base = `http://127.0.0.1:${await server.listen()}`;
  });

  afterAll(async () => {
    await server.close();
    await nc.drain();
  });

  describe('CacheNodeService alone', () => {
    let clock: ManualClock;
    let cache: CacheNodeService;

    beforeEach(() => {
      clock = new ManualClock(Date.now());
      const config = loadConfig('shard', { NODE_ENV: 'test', FORESIGHT_ORIGINS: origins() });
      cache = new CacheNodeService({ config, nc, logger: quietLogger, clock });
    });
    afterEach(() => cache.stop());

    it('loads a miss from the origin, serves the next read from the cache, and ages it on the injected clock', async () => {
      expect(await cache.get('s', 'doc:ttl')).toMatchObject({ source: 'origin', value: { key: 'doc:ttl', version: 1 }, sizeBytes: 200 });
      expect((await cache.get('s', 'doc:ttl')).source).toBe('cache');
      clock.advance(1001);
      expect((await cache.get('s', 'doc:ttl')).source).toBe('origin');
      expect(served('doc:ttl')).toBe(2);
    });

    it('prefetches the declared keys of an action, so the read finds them prefetched', async () => {
      cache.declare({ pattern: 'view:{id}', keys: ['doc:{id}'] });
      expect(cache.prefetch('s', 'view:pf', {}).queued).toEqual(['doc:pf']);
      await cache.settled('doc:pf');
      expect((await cache.get('s', 'doc:pf')).source).toBe('prefetched');
      expect(cache.sessionStats('s')).toMatchObject({ live: true, hits: 1, prefetchUsed: 1 });
    });

    it('warms the keys of an action as it is recorded', async () => {
      cache.declare({ pattern: 'view:{id}', keys: ['doc:{id}'] });
      cache.recordAction('s', 'view:warm', {});
      await eventually(() => (served('doc:warm') > 0 ? true : undefined), 5000, 'the warm-up load');
      await cache.settled('doc:warm');
      expect((await cache.get('s', 'doc:warm')).source).toBe('prefetched');
      expect(cache.nodeStats().originLoads).toBe(1);
    });

    it('does not keep the old value of a key invalidated while its load was in flight', async () => {
      await admin('PUT', '/admin/rules', { rules: [{ prefix: 'doc:slow', latencyMs: 300 }] });
      try {
        const read = cache.get('s', 'doc:slow1');
        await eventually(() => (served('doc:slow1') > 0 ? true : undefined), 5000, 'the request at the origin');
        await admin('POST', '/admin/bump', { key: 'doc:slow1' });
        expect(cache.invalidate({ keys: ['doc:slow1'] })).toBe(1); // the load in flight
        expect(((await read).value as { version: number }).version).toBe(1);
        await cache.settled('doc:slow1');
        const fresh = await cache.get('s', 'doc:slow1');
        expect(fresh.source).toBe('origin');
        expect((fresh.value as { version: number }).version).toBe(2);
      } finally {
        await admin('PUT', '/admin/rules', { rules: [] });
      }
    });

    it('invalidates by pattern', async () => {
      await cache.get('s', 'doc:p1');
      await cache.get('s', 'doc:p2');
      await cache.get('s', 'doc:q1');
      expect(cache.invalidate({ pattern: 'doc:p*' })).toBe(2);
      expect((await cache.get('s', 'doc:p1')).source).toBe('origin');
      expect((await cache.get('s', 'doc:q1')).source).toBe('cache');
    });
  });

  describe('through the runtime: session events reach the cache', () => {
    let rt: ShardRuntime;
    let node: ReturnType<typeof shardNode>;
    let metadata: FakeMetadata;
    const ns = uniqueName('shardc');

    beforeAll(async () => {
      const url = await createTestDatabase('shardc');
      node = shardNode(nc, url, ns, {
        FORESIGHT_ORIGINS: origins(),
        FORESIGHT_REQUIREMENTS: JSON.stringify([{ pattern: 'view_doc:{id}', keys: ['doc:{id}'] }]),
      });
      rt = node.runtime;
      metadata = new FakeMetadata(nc, node.pool, ns, node.config.cluster.shardCount);
      await metadata.start();
      await rt.start();
    }, 30_000);

    afterAll(async () => {
      await rt?.stop();
      metadata?.stop();
      await node?.pool.end();
    });

    it('a recorded action warms its keys, the data read finds them; an ended session is forgotten by the cache', async () => {
      const id = generateSessionId(node.config.session.idSecret);
      expect(rt.membership.ownedShards()).toContain(shardOf(id, 8));
      await rt.sessionOps.create({ sessionId: id, userId: 'u1', groups: {} }, { op: 'session.create', subject: 'test', ...ctx() });
      await rt.sessionOps.recordAction({ sessionId: id, action: 'view_doc:ev1' }, { op: 'session.record_action', subject: 'test', ...ctx() });
      await eventually(() => (served('doc:ev1') > 0 ? true : undefined), 5000, 'the warm-up load');
      await rt.cache.settled('doc:ev1');
      expect(await rt.cacheOps.get({ sessionId: id, key: 'doc:ev1' })).toMatchObject({ source: 'prefetched' });
      expect(await rt.cacheOps.sessionStats({ sessionId: id })).toMatchObject({ live: true, historyLength: 1 });
      await rt.sessionOps.end({ sessionId: id }, { op: 'session.end', subject: 'test', ...ctx() });
      expect(rt.cache.sessionStats(id)).toMatchObject({ live: false, historyLength: 0 });
    });

    it('data ops need a live session owned here', async () => {
      const id = generateSessionId(node.config.session.idSecret);
      await expect(rt.cacheOps.get({ sessionId: id, key: 'doc:1' })).rejects.toMatchObject({ code: 'SESSION.NOT_FOUND' });
    });
  });
});
