import { parseStorePartitions } from '@foresight/config';
import { appendsByPartition, evenPartitions, postgresServersRatios, type PostgresServersRun } from './postgres-servers';
import type { OpResult } from './load';

describe('bench:store --postgres-servers', () => {
  it('splits the shards in equal ranges, the first on the primary, as configuration accepts them', () => {
    expect(evenPartitions(['postgres://b/x'])).toBe('0-511=primary,512-1023=postgres://b/x');
    expect(evenPartitions(['postgres://b/x', 'postgres://c/x'], 10)).toBe('0-3=primary,4-7=postgres://b/x,8-9=postgres://c/x');
    expect(parseStorePartitions(evenPartitions(['postgres://b/x', 'postgres://c/x']), 1024, 'postgres://a/x').problems).toEqual([]);
  });

  it('sums the appends written per partition over the shard nodes', () => {
    const text = [
      'foresight_store_partition_appends_total{partition="0-511",outcome="ok"} 10',
      'foresight_store_partition_appends_total{partition="0-511",outcome="failed"} 3',
      'foresight_store_partition_appends_total{partition="512-1023",outcome="ok"} 7',
    ].join('\n');
    expect(appendsByPartition([text, text])).toEqual({ '0-511': 20, '512-1023': 14 });
  });

  it('reports 2/1 ratios of the mean req/s and CPU per request', () => {
    const result = (rps: number, cpuMs: number) =>
      ({ op: 'put', rps, cpu: { byLabel: {}, machineBusyPct: 0, serverCpuMsPerRequest: cpuMs } }) as unknown as OpResult;
    const runs: PostgresServersRun[] = [
      { servers: 1, round: 1, results: [result(100, 2)], appendsByPartition: {} },
      { servers: 2, round: 1, results: [result(90, 2.2)], appendsByPartition: {} },
      { servers: 2, round: 2, results: [result(110, 2.6)], appendsByPartition: {} },
      { servers: 1, round: 2, results: [result(100, 2)], appendsByPartition: {} },
    ];
    const [put] = postgresServersRatios(runs);
    expect(put).toMatchObject({ op: 'put', oneRps: 100, twoRps: 100, rpsRatio: 1, oneCpuMs: 2 });
    expect(put!.twoCpuMs).toBeCloseTo(2.4);
  });
});
