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

  it('refuses to start against a cluster made with another shard count', async () => {
    await expect(a.initialise(64)).rejects.toThrow(/cannot change/);
  });
});
