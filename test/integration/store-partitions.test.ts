import { ErrorCodes } from '@foresight/contracts';
import { createPool, EventStore, StorePartitions } from '@foresight/persistence';
import { decide, replay } from '@foresight/session-domain';
import { createTestDatabase } from '@foresight/testing';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { policy, ctx, create } from './session-events';

/**
 * Two databases stand for two Postgres servers: shards 0-7 on the first (the primary, whose `shards`
 * rows the metadata service keeps; here the test writes them), 8-15 on the second (fenced by the
 * claims of the nodes that serve them).
 */
describe('event store partitions against real Postgres databases', () => {
  let primary: Pool;
  let second: Pool;
  const partitionsWith = (shardOf: (id: string) => number) =>
    new StorePartitions(
      [
        { label: '0-7', first: 0, last: 7, pool: primary, primary: true },
        { label: '8-15', first: 8, last: 15, pool: second, primary: false },
      ],
      shardOf,
    );
  /** Session ids of this test carry their shard after the last dash. */
  const shardOfId = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1));
  const idOn = (shard: number) => `${randomUUID()}-${shard}`;

  beforeAll(async () => {
    primary = createPool(await createTestDatabase('part_a'), 4, 'test');
    second = createPool(await createTestDatabase('part_b'), 4, 'test');
    await primary.query(`INSERT INTO shards (shard, owner_node, epoch) SELECT s, 'node-a', 1 FROM generate_series(0, 15) s`);
  });
  afterAll(async () => {
    await primary.end();
    await second.end();
  });

  it('writes each session on its partition server, and refuses appends on a shard nobody claimed there', async () => {
    const partitions = partitionsWith(shardOfId);
    const store = new EventStore(partitions, 'node-a');
    try {
      const here = idOn(2);
      const there = idOn(9);
      await store.append({ sessionId: here, shard: 2, epoch: 1, expectedVersion: 0, events: create(here, 2) });
      // Not claimed on the second server yet: no fencing row, so the append is refused.
      await expect(store.append({ sessionId: there, shard: 9, epoch: 1, expectedVersion: 0, events: create(there, 9) })).rejects.toMatchObject({
        code: ErrorCodes.STALE_EPOCH,
      });
      expect((await partitions.claim('node-a', [{ shard: 9, epoch: 1 }])).size).toBe(0);
      await store.append({ sessionId: there, shard: 9, epoch: 1, expectedVersion: 0, events: create(there, 9) });
      const count = async (pool: Pool, id: string) => (await pool.query('SELECT 1 FROM events WHERE session_id = $1', [id])).rowCount;
      expect([await count(primary, here), await count(second, here), await count(primary, there), await count(second, there)]).toEqual([1, 0, 0, 1]);
      expect((await store.readStream(there)).map((e) => e.event.type)).toEqual(['session.created']);
      expect((await second.query('SELECT shard FROM session_index WHERE session_id = $1', [there])).rows).toEqual([{ shard: 9 }]);
      const unpublished = await store.unpublished([2, 9], -60_000, 10);
      expect(unpublished.map((e) => e.event.sessionId).sort()).toEqual([here, there].sort());
      // Each server has its own outbox row for its batch, named by the batch's lowest position there.
      expect(unpublished.every((e) => e.batch === e.position)).toBe(true);
      await store.markSwept(unpublished.map((e) => ({ sessionId: e.event.sessionId, batch: e.batch!, position: e.position })));
      expect(await store.unpublished([2, 9], -60_000, 10)).toEqual([]);
      expect([(await primary.query('SELECT 1 FROM outbox_batches')).rowCount, (await second.query('SELECT 1 FROM outbox_batches')).rowCount]).toEqual([0, 0]);
      // Right after commit, the node removes a batch's row by its key, on the session's server.
      const later = decide({ kind: 'put', group: 'cart', name: 'x', value: 1 }, replay(create(there, 9)), policy, ctx());
      const r = await store.append({ sessionId: there, shard: 9, epoch: 1, expectedVersion: 1, events: later });
      expect(r.outbox).toEqual({ partition: '8-15', batch: r.positions[0], events: 1 });
      expect((await second.query('SELECT 1 FROM outbox_batches')).rowCount).toBe(1);
      await store.markPublished([{ sessionId: there, batch: r.outbox!.batch }]);
      expect((await second.query('SELECT 1 FROM outbox_batches')).rowCount).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("moves a shard's epoch forward only, and refuses the previous owner's late append on the partition server", async () => {
    const partitions = partitionsWith(shardOfId);
    const oldOwner = new EventStore(partitions, 'node-a');
    const newOwner = new EventStore(partitions, 'node-b');
    try {
      const id = idOn(10);
      await partitions.claim('node-a', [{ shard: 10, epoch: 4 }]);
      await oldOwner.append({ sessionId: id, shard: 10, epoch: 4, expectedVersion: 0, events: create(id, 10) });
      await partitions.claim('node-b', [{ shard: 10, epoch: 5 }]);
      // An older claim arriving late changes nothing.
      await partitions.claim('node-a', [{ shard: 10, epoch: 4 }]);
      expect((await second.query('SELECT owner_node, epoch FROM shards WHERE shard = 10')).rows).toEqual([{ owner_node: 'node-b', epoch: 5 }]);
      const state = replay(create(id, 10));
      const late = decide({ kind: 'put', group: 'cart', name: 'late', value: 1 }, state, policy, ctx());
      await expect(oldOwner.append({ sessionId: id, shard: 10, epoch: 4, expectedVersion: 1, events: late })).rejects.toMatchObject({
        code: ErrorCodes.STALE_EPOCH,
      });
      await newOwner.append({ sessionId: id, shard: 10, epoch: 5, expectedVersion: 1, events: late });
      expect((await newOwner.readStream(id)).length).toBe(2);
    } finally {
      await oldOwner.close();
      await newOwner.close();
    }
  });

  it('answers SERVICE.UNAVAILABLE naming the partition when its server cannot be reached, and keeps the other partition working', async () => {
    const down = createPool('postgres://postgres:postgres@127.0.0.1:1/none', 1, 'test');
    const partitions = new StorePartitions(
      [
        { label: '0-7', first: 0, last: 7, pool: primary, primary: true },
        { label: '8-15', first: 8, last: 15, pool: down, primary: false },
      ],
      shardOfId,
    );
    const store = new EventStore(partitions, 'node-a');
    try {
      const there = idOn(11);
      await expect(store.append({ sessionId: there, shard: 11, epoch: 1, expectedVersion: 0, events: create(there, 11) })).rejects.toMatchObject({
        code: ErrorCodes.UNAVAILABLE,
        details: { partition: '8-15' },
      });
      await expect(store.load(there)).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE, details: { partition: '8-15' } });
      expect((await partitions.claim('node-a', [{ shard: 11, epoch: 1 }])).size).toBe(1);
      const here = idOn(3);
      await store.append({ sessionId: here, shard: 3, epoch: 1, expectedVersion: 0, events: create(here, 3) });
      // The outbox sweep skips the server that is down and returns the other's rows.
      expect((await store.unpublished([3, 11], -60_000, 10)).map((e) => e.event.sessionId)).toContain(here);
    } finally {
      await store.close();
      await down.end();
    }
  });
});
