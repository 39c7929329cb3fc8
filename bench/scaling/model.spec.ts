import {
  backgroundCores,
  costFromCpuPct,
  DEFAULT_ASSUMPTIONS,
  LARGER_DEPLOYMENTS,
  localDeployment,
  natsClusterFactor,
  predictThroughput,
  totalCost,
  type CpuCost,
} from './model';

// 0.1 ms gateway, 0.2 ms shard, 0.05 ms nats, 0.15 ms postgres: 0.5 ms per op in all.
const cost: CpuCost = { gateway: 0.1, shard: 0.2, metadata: 0, 'nats-server': 0.05, postgres: 0.15 };

describe('scaling model', () => {
  it('on one machine, with enough processes, is cores × efficiency over the CPU per op', () => {
    const p = predictThroughput('get', cost, localDeployment(4, 4, 2));
    // 2 cores × 0.8 / 0.5 ms = 3,200 ops/s; one gateway's limit would be 10,000.
    expect(p.bound).toBe('cores');
    expect(p.opsPerS).toBeCloseTo(3200, 6);
  });

  it('is held to one core per Node process: one shard node binds on a large machine', () => {
    const p = predictThroughput('get', cost, localDeployment(1, 4, 16));
    expect(p.bound).toBe('shard nodes');
    expect(p.opsPerS).toBeCloseTo(5000, 6); // 1 core / 0.2 ms
    expect(p.limits.gateways).toBeCloseTo(40_000, 6);
    // A second shard node doubles it.
    expect(predictThroughput('get', cost, localDeployment(2, 4, 16)).opsPerS).toBeCloseTo(10_000, 6);
  });

  it('adds the commit limit to writes only', () => {
    const put = predictThroughput('put', cost, localDeployment(1, 1, 2));
    expect(put.limits['postgres commits']).toBeCloseTo((1 * 2 * 512 * 1000) / 2, 6);
    expect(predictThroughput('get', cost, localDeployment(1, 1, 2)).limits['postgres commits']).toBeUndefined();
    const slowDisk = predictThroughput('put', cost, localDeployment(4, 4, 16), { ...DEFAULT_ASSUMPTIONS, commitMs: 1000, commitMaxBatch: 1 });
    expect(slowDisk.bound).toBe('postgres commits');
    expect(slowDisk.opsPerS).toBeCloseTo(8, 6); // 4 nodes × 2 batches × 1 write per second
  });

  it('moves Postgres off the nodes: its own server limits, and the nodes no longer pay its CPU', () => {
    const [, tenNodes] = LARGER_DEPLOYMENTS;
    const p = predictThroughput('put', cost, tenNodes!);
    // Postgres: 16 cores × 0.8 / 0.15 ms; nodes: 160 × 0.8 / (0.1 + 0.2 + 0.05 × 1.9).
    expect(p.limits['postgres CPU']).toBeCloseTo((16 * 0.8 * 1000) / 0.15, 3);
    expect(p.limits.cores).toBeCloseTo((160 * 0.8 * 1000) / (0.1 + 0.2 + 0.05 * 1.9), 3);
    expect(p.bound).toBe('postgres CPU');
  });

  it('charges routed NATS messages to a second server in a cluster', () => {
    expect(natsClusterFactor(1)).toBe(1);
    expect(natsClusterFactor(10)).toBeCloseTo(1.9, 10);
    expect(() => natsClusterFactor(0)).toThrow(RangeError);
  });

  it('treats a group that costs nothing as no limit', () => {
    const p = predictThroughput('get', { gateway: 0.1, shard: 0, metadata: 0, 'nats-server': 0, postgres: 0 }, localDeployment(1, 1, 4));
    expect(p.limits['shard nodes']).toBe(Number.POSITIVE_INFINITY);
    expect(p.bound).toBe('gateways');
    expect(p.opsPerS).toBeCloseTo(10_000, 6);
  });

  it('counts the metadata service in the cores but gives it no limit of its own (it is off the request path)', () => {
    const p = predictThroughput('get', { ...cost, metadata: 0.5 }, localDeployment(4, 4, 2));
    expect(p.limits.metadata).toBeUndefined();
    expect(p.opsPerS).toBeCloseTo((2 * 0.8 * 1000) / 1.0, 6);
  });

  it('refuses impossible inputs', () => {
    expect(() => predictThroughput('get', { ...cost, shard: -1 }, localDeployment(1, 1, 2))).toThrow(RangeError);
    expect(() => predictThroughput('get', cost, localDeployment(1, 1, 0))).toThrow(RangeError);
    expect(() => predictThroughput('get', cost, localDeployment(1, 1, 2), { ...DEFAULT_ASSUMPTIONS, efficiency: 1.5 })).toThrow(RangeError);
  });

  it('turns % of a core over a window into CPU ms per op', () => {
    // 50% of a core for 10 s = 5,000 ms over 1,000 ops = 5 ms/op.
    const c = costFromCpuPct({ gateway: 50, shard: 20, postgres: 10, harness: 99 }, 10, 1000);
    expect(c).toEqual({ gateway: 5, shard: 2, metadata: 0, 'nats-server': 0, postgres: 1 });
    expect(totalCost(c)).toBeCloseTo(8, 10);
    expect(totalCost(costFromCpuPct({ gateway: 50 }, 10, 0))).toBe(0);
  });

  it('subtracts the background CPU measured without load, never below zero', () => {
    const c = costFromCpuPct({ gateway: 50, metadata: 3, shard: 1 }, 10, 1000, { gateway: 10, metadata: 4, shard: 1, harness: 5 });
    expect(c.gateway).toBeCloseTo(4, 10);
    expect(c.metadata).toBe(0);
    expect(c.shard).toBe(0);
    expect(backgroundCores({ gateway: 10, metadata: 4, shard: 1, harness: 50, other: 30 })).toBeCloseTo(0.15, 10);
  });
});
