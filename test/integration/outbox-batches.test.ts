import { loadConfig } from '@foresight/config';
import { subjects, type SessionEvent } from '@foresight/contracts';
import { createPool, EventStore, SensitiveValues, type AppendResult } from '@foresight/persistence';
import { decide, replay } from '@foresight/session-domain';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import { EventPublisherService } from '../../apps/shard/src/publishing/event-publisher.service';
import { quietLogger } from './shard-harness';
import { policy, ctx, create } from './session-events';

const put = (events: SessionEvent[], value: number): SessionEvent[] => decide({ kind: 'put', group: 'cart', name: 'n', value }, replay(events), policy, ctx());

/**
 * One outbox row per group-commit batch, against real Postgres and a real nats-server: the node that
 * wrote a batch removes its row once every event of it is on the stream; after a crash between
 * commit and publication, the shards' next owners publish what is left from the rows (each its own
 * shards of a shared row) and every committed event ends up on the stream exactly once.
 */
describe('outbox rows per batch: publication right after commit and after a crash', () => {
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
  });
  afterAll(async () => {
    await nc.drain();
  });

  async function setUp(owner: string, shards: readonly number[]) {
    const pool = createPool(await createTestDatabase('obatch'), 8, 'outbox-batches-test');
    await pool.query(`INSERT INTO shards (shard, owner_node, epoch) SELECT s, $1, 1 FROM unnest($2::int[]) s`, [owner, shards]);
    const namespace = uniqueName('obatch');
    return { pool, namespace, store: new EventStore(pool, owner) };
  }

  function publisherOf(pool: Pool, store: EventStore, namespace: string, nodeId: string, owned: () => readonly number[]) {
    const config = loadConfig('shard', { NODE_ENV: 'test', FORESIGHT_NAMESPACE: namespace, NODE_ID: nodeId });
    return new EventPublisherService({
      nc,
      config,
      logger: quietLogger,
      metrics: new Registry(),
      store,
      values: new SensitiveValues({ sensitiveGroups: [], keys: [] }),
      membership: { ownedShards: () => [...owned()] },
    });
  }

  /** Every message on the namespace's session stream: its message id (the event id) per sequence. */
  async function streamIds(namespace: string): Promise<string[]> {
    const jsm = await nc.jetstreamManager();
    const stream = subjects(namespace).sessionStream;
    const n = (await jsm.streams.info(stream)).state.last_seq;
    const ids: string[] = [];
    for (let seq = 1; seq <= n; seq++) ids.push((await jsm.streams.getMessage(stream, { seq })).header.get('Nats-Msg-Id'));
    return ids;
  }

  /** `n` sessions on `shards` (round robin), created and then written once, every append of a round at once (so they share batches). */
  async function writeSessions(store: EventStore, n: number, shards: readonly number[]) {
    const sessions = Array.from({ length: n }, (_, i) => ({ id: `s-${randomUUID()}`, shard: shards[i % shards.length], events: [] as SessionEvent[] }));
    const committed: { sessionId: string; events: SessionEvent[]; result: AppendResult; firstVersion: number }[] = [];
    for (const round of [0, 1]) {
      await Promise.all(
        sessions.map(async (s) => {
          const events = round === 0 ? create(s.id, s.shard) : put(s.events, round);
          const result = await store.append({ sessionId: s.id, shard: s.shard, epoch: 1, expectedVersion: s.events.length, events });
          committed.push({ sessionId: s.id, events, result, firstVersion: s.events.length + 1 });
          s.events = [...s.events, ...events];
        }),
      );
    }
    return committed;
  }

  it('removes a batch row once every event of the batch is on the stream, without the sweep', async () => {
    const { pool, namespace, store } = await setUp('node-a', [1, 2]);
    // Owns nothing as far as the sweep knows: only publication right after commit clears rows here.
    const publisher = publisherOf(pool, store, namespace, 'node-a', () => []);
    await publisher.start();
    try {
      const committed = await writeSessions(store, 30, [1, 2]);
      const batches = new Set(committed.map((c) => c.result.outbox!.batch));
      expect(batches.size).toBeLessThan(committed.length); // appends shared batches
      expect((await pool.query('SELECT 1 FROM outbox_batches')).rowCount).toBe(batches.size);
      for (const c of committed) publisher.publishCommitted(c.events, c.result.positions, c.firstVersion, c.result.outbox);
      await eventually(async () => ((await pool.query('SELECT 1 FROM outbox_batches')).rowCount === 0 ? true : undefined), 30_000, 'every batch row removed');
      const ids = await streamIds(namespace);
      expect(ids.sort()).toEqual(committed.flatMap((c) => c.events.map((e) => e.id)).sort());
    } finally {
      await publisher.flush();
      await store.close();
      await pool.end();
    }
  });

  it('after a crash between commit and publication, the next owners publish every committed event exactly once and empty the rows', async () => {
    const { pool, namespace, store } = await setUp('node-a', [1, 2]);
    const crashed = publisherOf(pool, store, namespace, 'node-a', () => []);
    await crashed.start();
    const committed = await writeSessions(store, 40, [1, 2]);
    // The node got some events out before it died: every third append, so no batch is complete.
    committed.forEach((c, k) => {
      if (k % 3 === 0) crashed.publishCommitted(c.events, c.result.positions, c.firstVersion, c.result.outbox);
    });
    await crashed.flush();
    const rowsBefore = (await pool.query('SELECT 1 FROM outbox_batches')).rowCount;
    expect(rowsBefore).toBeGreaterThan(0);
    // Shard 1 goes to node-b and shard 2 to node-c: the rows hold both, each sweeps its own.
    await pool.query(`UPDATE shards SET owner_node = CASE shard WHEN 1 THEN 'node-b' ELSE 'node-c' END, epoch = 2`);
    const storeB = new EventStore(pool, 'node-b');
    const storeC = new EventStore(pool, 'node-c');
    const b = publisherOf(pool, storeB, namespace, 'node-b', () => [1]);
    const c = publisherOf(pool, storeC, namespace, 'node-c', () => [2]);
    await Promise.all([b.start(), c.start()]);
    try {
      await eventually(
        async () => ((await pool.query('SELECT 1 FROM outbox_batches')).rowCount === 0 ? true : undefined),
        60_000,
        'the rows emptied by both sweeps',
      );
      const ids = await streamIds(namespace);
      const expected = committed.flatMap((x) => x.events.map((e) => e.id));
      // Exactly once on the stream: what was published before the crash was dropped as a duplicate when swept again.
      expect(ids.length).toBe(expected.length);
      expect(ids.sort()).toEqual(expected.sort());
    } finally {
      await Promise.all([b.flush(), c.flush()]);
      await Promise.all([store.close(), storeB.close(), storeC.close()]);
      await pool.end();
    }
  });
});
