import { createPool } from '@foresight/persistence';
import { createTestDatabase, eventually } from '@foresight/testing';
import type { Pool } from 'pg';
import { NodesRepository } from '../../apps/metadata/src/nodes/nodes.repository';

/** The node registry: one live incarnation per node id, whatever arrives concurrently. */
describe('node registry: a live node id keeps its incarnation', () => {
  let pool: Pool;
  let nodes: NodesRepository;
  const rpc = (id: string) => `t.rpc.shard.${id}`;

  beforeAll(async () => {
    pool = createPool(await createTestDatabase('nodes'), 20, 'test');
    nodes = new NodesRepository(pool);
  });
  afterAll(async () => {
    await pool.end();
  });

  it('refuses another incarnation while the lease is live, and accepts the same one again', async () => {
    expect(await nodes.register('n1', 'a', rpc('n1'), 60_000)).toEqual({ refused: false, newIncarnation: true });
    const refused = await nodes.register('n1', 'b', rpc('n1'), 60_000);
    expect(refused).toMatchObject({ refused: true });
    expect(refused.refused && refused.leaseLeftMs).toBeGreaterThan(50_000);
    expect(await nodes.register('n1', 'a', rpc('n1'), 60_000)).toEqual({ refused: false, newIncarnation: false });
    expect((await pool.query(`SELECT incarnation FROM nodes WHERE node_id = 'n1'`)).rows).toEqual([{ incarnation: 'a' }]);
  });

  it('accepts a new incarnation once the old one left or its lease ran out', async () => {
    await nodes.register('n2', 'a', rpc('n2'), 60_000);
    expect(await nodes.leave('n2', 'a')).toBe(true);
    expect(await nodes.register('n2', 'b', rpc('n2'), 60_000)).toEqual({ refused: false, newIncarnation: true });

    await nodes.register('n3', 'a', rpc('n3'), 300);
    expect(await nodes.register('n3', 'b', rpc('n3'), 300)).toMatchObject({ refused: true });
    const accepted = await eventually(
      async () => {
        const r = await nodes.register('n3', 'b', rpc('n3'), 60_000);
        return r.refused ? undefined : r;
      },
      10_000,
      'the old lease to run out',
    );
    expect(accepted).toEqual({ refused: false, newIncarnation: true });
  });

  it('lets exactly one of many concurrent incarnations of a new node id in', async () => {
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => nodes.register('n4', `inc-${i}`, rpc('n4'), 60_000)));
    expect(outcomes.filter((o) => !o.refused)).toHaveLength(1);
  });
});
