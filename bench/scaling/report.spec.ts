import type { CpuCost } from './model';
import { calibrationOf, largerPredictions, largestOf, modelRows, renderScalingReport, type ScalingResult } from './report';

const cost: CpuCost = { gateway: 0.2, shard: 0.2, metadata: 0, 'nats-server': 0.05, postgres: 0.05 };

function result(shardNodes: number, gateways: number, op: 'put' | 'get', rps: number, serviceCpuCores = 1, otherCores = 0): ScalingResult {
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
    serviceCpuCores,
    machineBusyPct: 50,
    loadGenCpuPct: 40,
    cost,
    otherCores,
    loadavg1Before: 1,
    loadavg1After: 1,
  };
}

describe('predicted vs measured', () => {
  // 1 shard node and 2 for GET; PUT served nothing.
  const results = [result(1, 1, 'get', 1500), result(2, 1, 'get', 1400, 0.5), result(3, 2, 'get', 1300), result(1, 1, 'put', 0)];

  it('calibrates on the first configuration with 2 shard nodes (a warm secondary), else the first that served anything', () => {
    expect(calibrationOf(results, 'get')).toBe(results[1]);
    expect(calibrationOf([results[0]!], 'get')).toBe(results[0]);
    expect(calibrationOf(results, 'put')).toBeUndefined();
    expect(largestOf(results, 'get')).toBe(results[2]);
  });

  it('predicts every measured row from the calibration, on a quiet machine and on the CPU the services got', () => {
    const rows = modelRows(results, 1);
    expect(rows).toHaveLength(3); // the PUT row has no calibration
    // 1 core × 0.8 / 0.5 ms = 1,600 ops/s whatever the processes: the cores bind.
    expect(rows[0]).toMatchObject({ calibration: false, measuredRps: 1500 });
    expect(rows[0]?.quiet.opsPerS).toBeCloseTo(1600, 6);
    // On the 1 core it got, all of it work: 2,000 ops/s.
    expect(rows[0]?.onCpuGot.opsPerS).toBeCloseTo(2000, 6);
    expect(rows[0]?.ratio).toBeCloseTo(1500 / 2000, 6);
    // Half a core got: 1,000 ops/s.
    expect(rows[1]).toMatchObject({ calibration: true });
    expect(rows[1]?.onCpuGot.opsPerS).toBeCloseTo(1000, 6);
  });

  it('takes the background CPU off the cores a configuration has', () => {
    const busy = { ...result(2, 1, 'get', 1000), backgroundPctByLabel: { gateway: 25, shard: 25, harness: 80 } };
    const [row] = modelRows([busy], 1);
    expect(row?.quiet.opsPerS).toBeCloseTo((0.5 * 0.8 * 1000) / 0.5, 6);
    expect(row?.onCpuGot.opsPerS).toBeCloseTo(1000, 6);
  });

  it('predicts the larger deployments from the calibration and the largest configuration', () => {
    const larger = largerPredictions(results);
    expect(larger.map((p) => p.op)).toEqual(['get', 'get']);
    expect(larger[0]?.fromSmallest.opsPerS).toBeGreaterThan(1600);
  });

  it('prints the pinning, the measurements and the model', () => {
    const text = renderScalingReport(results, modelRows(results, 1), largerPredictions(results), 'pinned to core 1');
    expect(text).toContain('pinned to core 1');
    expect(text).toContain('predicted quiet');
    expect(text).toContain('16-core machine');
    expect(text.split('\n').length).toBeGreaterThan(10);
  });
});
