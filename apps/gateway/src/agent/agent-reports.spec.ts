import { ErrorCodes, ForesightError, type AgentReportBody } from '@foresight/contracts';
import { Registry } from 'prom-client';
import { AgentReports } from './agent-reports';

function report(clientId: string, gateways: [string, number, number, number][]): AgentReportBody {
  return {
    clientId,
    sdk: '@foresight/client/0.1.0',
    windowMs: 60_000,
    gateways: gateways.map(([gateway, requests, errors, p50]) => ({
      gateway,
      requests,
      errors,
      throughputRps: requests / 60,
      rttMs: { mean: p50, p50, p90: p50 * 2, p99: p50 * 4 },
    })),
  };
}

describe('AgentReports', () => {
  let now = 1_000_000;
  const clock = { now: () => now };
  const make = (options = {}) => {
    const metrics = new Registry();
    return { reports: new AgentReports({ clock, metrics, options }), metrics };
  };

  it('keeps the latest report per client and aggregates per gateway, weighted by answered requests', () => {
    const { reports } = make();
    reports.accept(report('a', [['http://g1', 100, 0, 2]]), '10.0.0.1');
    now += 2000;
    reports.accept(report('a', [['http://g1', 10, 0, 4]]), '10.0.0.1');
    reports.accept(
      report('b', [
        ['http://g1', 30, 10, 10],
        ['http://g2', 5, 5, 0],
      ]),
      '10.0.0.2',
    );
    expect(reports.list().map((s) => s.report.clientId)).toEqual(['b', 'a']);
    const g1 = reports.aggregate().get('http://g1')!;
    expect(g1).toMatchObject({ clients: 2, requests: 40, errors: 10 });
    // a: 10 answered at 4 ms, b: 20 answered at 10 ms.
    expect(g1.rttMs.p50).toBeCloseTo((10 * 4 + 20 * 10) / 30);
    expect(reports.aggregate().get('http://g2')).toMatchObject({ requests: 5, errors: 5, rttMs: { p50: 0 } });
  });

  it('refuses a client that reports too often with REQUEST.RATE_LIMITED, and an address that invents client ids', () => {
    const { reports } = make({ clientBurst: 2, perClientPerSecond: 1, ipBurst: 3, perIpPerSecond: 1 });
    reports.accept(report('c', []), 'ip');
    reports.accept(report('c', []), 'ip');
    expect(() => reports.accept(report('c', []), 'ip')).toThrow(expect.objectContaining({ code: ErrorCodes.RATE_LIMITED }));
    expect(() => reports.accept(report('d', []), 'ip')).toThrow(ForesightError);
    now += 5000;
    expect(reports.accept(report('c', []), 'ip')).toEqual({ accepted: true, nextReportInMs: 30_000 });
  });

  it('forgets clients after retainMs and bounds the number of clients and gateway labels', async () => {
    const { reports, metrics } = make({ maxClients: 3, maxGatewayLabels: 2, retainMs: 10_000 });
    for (const id of ['a', 'b', 'c', 'd']) reports.accept(report(id, [[`http://g-${id}`, 1, 0, 1]]), id);
    expect(reports.size).toBe(3);
    expect([...reports.aggregate().keys()].sort()).toEqual(['http://g-b', 'http://g-c', 'other']);
    const text = await metrics.metrics();
    expect(text).toContain('foresight_agent_clients 3');
    expect(text).toMatch(/foresight_agent_gateway_rtt_seconds\{gateway="http:\/\/g-b",stat="p50"\} 0.001/);
    expect(text).toContain('foresight_agent_gateway_error_ratio{gateway="other"} 0');
    now += 10_001;
    expect(reports.list()).toEqual([]);
    expect(await metrics.metrics()).toContain('foresight_agent_clients 0');
  });
});
