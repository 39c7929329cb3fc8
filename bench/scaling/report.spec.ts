import type { CpuCost } from './model';
import { calibrationOf, largerPredictions, largestOf, modelRows, renderScalingReport, type ScalingResult } from './report';

const cost: CpuCost = { gateway: 0.2, shard: 0.2, metadata: 0, 'nats-server': 0.05, postgres: 0.05 };

function result(shardNodes: number, gateways: number, op: 'put' | 'get', rps: number, otherCores = 0): ScalingResult {
  return {
    shardNodes,
    gateways,
    op,
    rps,
    p50Ms: 1,
    p99Ms: 2,
    ok: rps * 10,
    errors: 0,
    non2xx: 0,
    wallS: 10,
    cpuPctByLabel: {},
    backgroundPctByLabel: {},
    machineBusyPct: 50,
    loadGenCpuPct: 40,
    cost,
    otherCores,
    loadavg1Before: 1,
    loadavg1After: 1,
  };
}

describe('predicted vs measured', () => {
  const results = [result(1, 1, 'get', 1500), result(1, 2, 'get', 1400, 1), result(3, 2, 'get', 1300), result(1, 1, 'put', 0)];

  it('calibrates on the first configuration of each op that served anything', () => {
    expect(calibrationOf(results, 'get')).toBe(results[0]);
    expect(calibrationOf(results, 'put')).toBeUndefined();
    expect(largestOf(results, 'get')).toBe(results[2]);
  });

  it('predicts every measured row from the calibration, quiet and at the other load seen', () => {
    const rows = modelRows(results, 1, 2);
    expect(rows).toHaveLength(3); // the PUT row has no calibration
    // 1 core × 0.8 / 0.5 ms = 1,600 ops/s whatever the processes: the cores bind.
    expect(rows[0]).toMatchObject({ calibration: true, measuredRps: 1500 });
    expect(rows[0]?.quiet.opsPerS).toBeCloseTo(1600, 6);
    expect(rows[0]?.ratio).toBeCloseTo(1500 / 1600, 6);
    // One core of other work on a 2-core machine leaves half of the service core.
    expect(rows[1]?.atLoad.opsPerS).toBeCloseTo(800, 6);
    expect(rows[1]?.quiet.opsPerS).toBeCloseTo(1600, 6);
    expect(rows[1]?.calibration).toBe(false);
  });

  it('predicts the larger deployments from the smallest and the largest configuration', () => {
    const larger = largerPredictions(results);
    expect(larger.map((p) => p.op)).toEqual(['get', 'get']);
    expect(larger[0]?.fromSmallest.opsPerS).toBeGreaterThan(1600);
  });

  it('prints the pinning, the measurements and the model', () => {
    const text = renderScalingReport(results, modelRows(results, 1, 2), largerPredictions(results), 'pinned to core 1');
    expect(text).toContain('pinned to core 1');
    expect(text).toContain('predicted quiet');
    expect(text).toContain('16-core machine');
    expect(text.split('\n').length).toBeGreaterThan(10);
  });
});
