import { summarise } from './latency';

describe('summarise', () => {
  it('reports percentiles in microseconds', () => {
    const ns = Float64Array.from({ length: 100 }, (_, i) => (i + 1) * 1000);
    const s = summarise(ns);
    expect(s.calls).toBe(100);
    expect(s.p50Us).toBe(51);
    expect(s.p99Us).toBe(100);
    expect(s.meanUs).toBe(50.5);
  });
});
