import { createPool } from '@foresight/persistence';
import { createTestDatabase } from '@foresight/testing';
import type { Pool } from 'pg';
import { ShardsRepository } from '../../apps/metadata/src/assignment/shards.repository';

describe('shard ownership compare-and-set (several metadata instances)', () => {
  let pool: Pool;
  let a: ShardsRepository;
  let b: ShardsRepository;

  beforeAll(async () => {
    pool = createPool(await createTestDatabase('owners'), 10, 'test');
    a = new ShardsRepository(pool);
    b = new ShardsRepository(createPool((pool as unknown as { options: { connectionString: string } }).options.connectionString, 10, 'test-b'));
    await a.initialise(32);
  });
  afterAll(async () => {
    await pool.end();
  });

  it('lets exactly one of two concurrent movers win each shard, bumping the epoch once', async () => {
    const { shards } = await a.current();
    const plan = (to: string) => shards.map((s) => ({ shard: s.shard, from: s.nodeId, to, expectedEpoch: s.epoch }));
    const [movedA, movedB] = await Promise.all([a.move(plan('node-a')), b.move(plan('node-b'))]);
    expect(movedA.length + movedB.length).toBe(32);
    const after = await a.current();
    for (const s of after.shards) {
      expect(s.epoch).toBe(1);
      const winner = movedA.some((m) => m.shard === s.shard) ? 'node-a' : 'node-b';
      expect(s.nodeId).toBe(winner);
    }
  });

  it('ignores a move planned from a stale read', async () => {
    const { shards } = await a.current();
    await a.move([{ shard: 0, from: shards[0].nodeId, to: 'node-c', expectedEpoch: shards[0].epoch }]);
    const stale = await b.move([{ shard: 0, from: shards[0].nodeId, to: 'node-d', expectedEpoch: shards[0].epoch }]);
    expect(stale).toEqual([]);
    expect((await a.ownerOf(0))?.nodeId).toBe('node-c');
  });

  it('keeps a shard moved away from a live node not ready until that node releases it (handoff)', async () => {
    await pool.query(
      `INSERT INTO nodes (node_id, incarnation, rpc_subject, status, lease_expires_at) VALUES
         ('live-a', 'i1', 'x', 'active', now() + interval '1 minute'), ('dead-b', 'i1', 'x', 'dead', now() - interval '1 minute')`,
    );
    const moveTo = async (shard: number, to: string) => {
      const s = (await a.ownerOf(shard))!;
      expect(await a.move([{ shard, from: s.nodeId, to, expectedEpoch: s.epoch }])).toHaveLength(1);
    };
    const ready = async (shard: number) => (await a.current()).shards[shard]!.ready ?? true;

    await moveTo(1, 'live-a');
    await moveTo(1, 'node-x'); // away from a live node
    expect(await ready(1)).toBe(false);
    const moved = await a.version();
    expect(await a.releaseHandoffs('live-a', moved - 1)).toBeNull(); // it has not applied the move yet
    expect(await ready(1)).toBe(false);
    const released = await a.releaseHandoffs('live-a', moved);
    expect(released).toBe(moved + 1); // owners are told to re-read
    expect(await ready(1)).toBe(true);
    expect(await a.releaseHandoffs('live-a', moved)).toBeNull();

    await moveTo(2, 'dead-b');
    await moveTo(2, 'node-x'); // away from a dead node: nobody to wait for
    expect(await ready(2)).toBe(true);

    await moveTo(3, 'live-a');
    await moveTo(3, 'node-x');
    await moveTo(3, 'live-a'); // back to where it was served: no handoff with itself
    expect(await ready(3)).toBe(true);

    await moveTo(4, 'live-a');
    await moveTo(4, 'node-x');
    await moveTo(4, 'node-y'); // node-x never served it; live-a still may
    expect(await ready(4)).toBe(false);
    expect(await a.releaseHandoffs('live-a', undefined)).not.toBeNull(); // a new incarnation serves nothing old
    expect(await ready(4)).toBe(true);
  });

  it('refuses to start against a cluster made with another shard count', async () => {
    await expect(a.initialise(64)).rejects.toThrow(/cannot change/);
  });
});
