import { renderReport } from './report';

describe('bench:client report', () => {
  it('prints the overhead as client minus raw, and one row per store', () => {
    const latency = (meanUs: number) => ({ meanUs, p50Us: meanUs, p99Us: meanUs * 2 });
    const text = renderReport(
      {
        calls: 2000,
        gateway: { rawGet: latency(900), clientGet: latency(960), rawPut: latency(3000), clientPut: latency(3100) },
        inProcess: { rawUs: 1.5, clientUs: 9.25 },
      },
      [{ store: 'redis', rps: 2500, p50Ms: 10, p99Ms: 40, errors: 0, non2xx: 0, durationS: 10, loadGenCpuPct: 30 }],
    );
    expect(text).toContain('| GET variable | 900 | 960 | 60 | 900 | 960 | 60 |');
    expect(text).toContain('| PUT variable | 3,000 | 3,100 | 100 |');
    expect(text).toContain('overhead 7.75 µs');
    expect(text).toMatch(/\| connect-redis \(redis-server\)\s+\| 2,500 \| 10 \| 40 \| 0 \| 0 \| 30 \|/);
  });
});
