import type { OpName, SystemName } from './cli';
import type { OpResult } from './load';
import { checkTargets, renderReport } from './report';

function result(system: SystemName, op: OpName, rps: number, extra: Partial<OpResult> = {}): OpResult {
  return {
    system,
    op,
    rps,
    p50Ms: 1.5,
    p99Ms: 9.25,
    latencyAvgMs: 2,
    ok: rps * 10,
    errors: 0,
    non2xx: 0,
    durationS: 10,
    statusCodes: { '200': rps * 10 },
    loadGenCpuPct: 50,
    ...extra,
  };
}

describe('store benchmark report', () => {
  it('computes Foresight/Redis for reads and Foresight/Postgres for writes', () => {
    const checks = checkTargets([
      result('foresight', 'get', 9000),
      result('redis', 'get', 10000),
      result('foresight', 'put', 3000),
      result('postgres', 'put', 1000),
    ]);
    expect(checks.map((c) => [c.op, c.peer, c.ratio, c.met])).toEqual([
      ['get', 'redis', 0.9, false],
      ['put', 'postgres', 3, true],
    ]);
  });

  it('leaves a ratio out when a side was not measured or served nothing', () => {
    const checks = checkTargets([result('redis', 'get', 100), result('foresight', 'put', 10), result('postgres', 'put', 0)]);
    expect(checks[0]?.ratio).toBeUndefined();
    expect(checks[1]?.ratio).toBeUndefined();
  });

  it('prints one row per measurement and a verdict per target', () => {
    const results = [result('foresight', 'get', 12345.6, { non2xx: 3, errors: 1 }), result('redis', 'get', 10000)];
    const text = renderReport(results, checkTargets(results));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^system\s+op\s+req\/s\s+p50 ms\s+p99 ms\s+errors\s+non-2xx$/);
    expect(lines[2]).toMatch(/^foresight\s+GET\s+12,346\s+1\.50\s+9\.25\s+1\s+3$/);
    expect(text).toContain('reads: Foresight / Redis peer');
    expect(text).toMatch(/1\.23x\s+\(target >= 1\.0x: met\)/);
    expect(text).toMatch(/durable writes: Foresight \/ Postgres peer\s+not measured in this run/);
    expect(text).not.toContain('CPU during');
  });

  it('lists the CPU of each process group, busiest first, when it was sampled', () => {
    const cpu = { byLabel: { shard: 40, gateway: 95.4, postgres: 30 }, machineBusyPct: 99, serverCpuMsPerRequest: 3.3 };
    const results = [result('foresight', 'put', 500, { cpu })];
    const text = renderReport(results, checkTargets(results));
    expect(text).toMatch(/foresight PUT\s+3\.300 server CPU ms\/req \| gateway 95, shard 40, postgres 30 \| machine busy 99%/);
    expect(text).not.toContain('server CPU per request');
    const both = [...results, result('postgres', 'put', 250, { cpu: { ...cpu, serverCpuMsPerRequest: 1.25 } })];
    expect(renderReport(both, checkTargets(both))).toMatch(/server CPU per request: Foresight 3\.300 ms, postgres peer 1\.250 ms/);
  });
});
