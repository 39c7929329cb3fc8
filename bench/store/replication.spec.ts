import type { OpName } from './cli';
import type { OpResult } from './load';
import { metricSum } from '../prometheus-text';
import { renderReplicationReport, replicaStats, replicationRatios, type ReplicationRun } from './replication';

const result = (op: OpName, rps: number): OpResult => ({
  system: 'foresight',
  op,
  rps,
  p50Ms: 1,
  p99Ms: 5,
  latencyAvgMs: 1.5,
  ok: rps * 10,
  errors: 0,
  non2xx: 0,
  durationS: 10,
  statusCodes: { '200': rps * 10 },
  loadGenCpuPct: 40,
});
const stats = { pushedEvents: 0, appliedEvents: 0, divergences: 0 };

describe('store benchmark, replication off and on', () => {
  it('gives the on/off ratio of the mean req/s over the rounds per op, met at 0.9 or more', () => {
    const runs: ReplicationRun[] = [
      { mode: 'off', round: 1, results: [result('get', 10_000), result('put', 2000)], replica: stats },
      {
        mode: 'on',
        round: 1,
        results: [result('get', 9800), result('put', 1500)],
        replica: { pushedEvents: 100, appliedEvents: 100, divergences: 0, meanLagMs: 0.8 },
      },
      { mode: 'on', round: 2, results: [result('get', 9800), result('put', 1900)], replica: stats },
      { mode: 'off', round: 2, results: [result('get', 10_000), result('put', 2000)], replica: stats },
    ];
    const ratios = replicationRatios(runs);
    expect(ratios.map((r) => [r.op, Number(r.ratio.toFixed(2)), r.met])).toEqual([
      ['get', 0.98, true],
      ['put', 0.85, false],
    ]);
    const text = renderReplicationReport(runs, ratios);
    expect(text).toContain('PUT throughput, replication on / off');
    expect(text).toMatch(/0\.850x .*NOT met/);
    expect(ratios[0]).not.toHaveProperty('onCpuMs');
    expect(text).toContain('round 1, replication on : 100 events pushed, 100 applied on secondaries, 0 divergences, mean lag 0.80 ms');
  });

  it("compares Foresight's CPU per request too, when it was measured", () => {
    const withCpu = (op: OpName, rps: number, ms: number): OpResult => ({
      ...result(op, rps),
      cpu: { byLabel: {}, machineBusyPct: 90, serverCpuMsPerRequest: ms },
    });
    const ratios = replicationRatios([
      { mode: 'off', round: 1, results: [withCpu('put', 1000, 1.0)], replica: stats },
      { mode: 'on', round: 1, results: [withCpu('put', 950, 1.1)], replica: stats },
    ]);
    expect(ratios).toEqual([{ op: 'put', offRps: 1000, onRps: 950, ratio: 0.95, met: true, offCpuMs: 1.0, onCpuMs: 1.1 }]);
    expect(renderReplicationReport([], ratios)).toContain('Foresight CPU per request: 1.100 ms on, 1.000 ms off (1.100x)');
    const table = renderReplicationReport([{ mode: 'on', round: 1, results: [withCpu('put', 950, 1.1)], replica: stats }], []);
    expect(table).toMatch(/1\s+on\s+PUT\s+950\s+1\.00\s+5\.00\s+0\s+0\s+1\.100\s+90/);
  });

  it('reports no ratio unless both modes ran', () => {
    expect(replicationRatios([{ mode: 'on', round: 1, results: [result('put', 1)], replica: stats }])).toEqual([]);
    expect(renderReplicationReport([], [])).toContain('need both modes');
  });

  it('sums a metric over its labels and over shard nodes, ignoring metrics whose names only start the same', () => {
    const a = [
      '# HELP foresight_replica_divergences_total x',
      'foresight_replica_divergences_total{reason="gap"} 2',
      'foresight_replica_divergences_total{reason="content"} 1',
      'foresight_replica_divergences_total_extra 50',
      'foresight_replica_lag_seconds_sum 0.004',
      'foresight_replica_lag_seconds_count 4',
      'foresight_replica_applied_events_total 4',
    ].join('\n');
    const b = 'foresight_replica_pushed_events_total 4\n';
    expect(metricSum(a, 'foresight_replica_divergences_total')).toBe(3);
    expect(replicaStats([a, b])).toEqual({ pushedEvents: 4, appliedEvents: 4, divergences: 3, meanLagMs: 1 });
    expect(replicaStats([b]).meanLagMs).toBeUndefined();
  });
});
