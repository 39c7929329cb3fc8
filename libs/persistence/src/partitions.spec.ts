import type { Pool } from 'pg';
import { StorePartitions, type StorePartition } from './partitions';

/** A stand-in for a pool that records the statements sent to it (routing only; no SQL runs). */
function recordingPool(name: string, fail = false) {
  const calls: unknown[][] = [];
  const pool = {
    name,
    calls,
    query: (_sql: string, params: unknown[]) => {
      calls.push(params);
      return fail ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) : Promise.resolve({ rows: [], rowCount: 0 });
    },
  };
  return pool as unknown as Pool & { calls: unknown[][]; name: string };
}

describe('StorePartitions', () => {
  const a = recordingPool('a');
  const b = recordingPool('b');
  const parts: StorePartition[] = [
    { label: '0-3', first: 0, last: 3, pool: a, primary: true },
    { label: '4-7', first: 4, last: 7, pool: b, primary: false },
  ];
  // Session ids here are "s<shard>".
  const partitions = new StorePartitions(parts, (id) => Number(id.slice(1)));

  it('routes shards and sessions to the partition of their range', () => {
    expect(partitions.forShard(0).label).toBe('0-3');
    expect(partitions.forShard(3).label).toBe('0-3');
    expect(partitions.forShard(4).label).toBe('4-7');
    expect(partitions.forSession('s7').pool).toBe(b);
    expect(() => partitions.forShard(8)).toThrow(/Shard 8 is in no event store partition/);
  });

  it('groups items by partition, in partition order, leaving out partitions with none', () => {
    const groups = partitions.group([5, 1, 6, 2], (s) => s);
    expect(groups.map((g) => [g.partition.label, g.items])).toEqual([
      ['0-3', [1, 2]],
      ['4-7', [5, 6]],
    ]);
    expect(partitions.groupBySession(['s6'], (id) => id).map((g) => g.partition.label)).toEqual(['4-7']);
    expect(partitions.group([], (s: number) => s)).toEqual([]);
  });

  it('claims shards only on partition servers other than the primary, one statement per server', async () => {
    const failed = await partitions.claim('node-a', [
      { shard: 1, epoch: 3 },
      { shard: 5, epoch: 4 },
      { shard: 6, epoch: 2 },
    ]);
    expect(failed.size).toBe(0);
    expect(a.calls).toEqual([]);
    expect(b.calls).toEqual([[[5, 6], [4, 2], 'node-a']]);
  });

  it('reports the partitions a claim could not reach, with their shards', async () => {
    const down = recordingPool('down', true);
    const p = new StorePartitions([parts[0]!, { ...parts[1]!, pool: down }], (id) => Number(id.slice(1)));
    const failed = await p.claim('node-a', [
      { shard: 1, epoch: 3 },
      { shard: 5, epoch: 4 },
    ]);
    expect([...failed].map(([part, claims]) => [part.label, claims])).toEqual([['4-7', [{ shard: 5, epoch: 4 }]]]);
  });

  it("names the partition in an outage error once there are several, and leaves a single server's errors as they are", () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(partitions.asError(parts[1]!, outage)).toMatchObject({ code: 'SERVICE.UNAVAILABLE', details: { partition: '4-7' } });
    const other = new Error('syntax error');
    expect(partitions.asError(parts[1]!, other)).toBe(other);
    expect(StorePartitions.single(a).asError(StorePartitions.single(a).forShard(0), outage)).toBe(outage);
  });
});
