import {
  bucketDelta,
  cumulative,
  histogramBuckets,
  histogramQuantile,
  MIX,
  parseTrace,
  pickRequest,
  pickWeighted,
  quantile,
  seedBytes,
  seedFrom,
  windowStats,
} from './workload';

describe('bench:scale workload', () => {
  it('parses an item-view trace, skipping empty and malformed lines, up to a limit', () => {
    expect(parseTrace('1 2 3\n\n4 x 5\n 6  7 \n8\n')).toEqual([[1, 2, 3], [6, 7], [8]]);
    expect(parseTrace('1\n2\n3\n', 2)).toEqual([[1], [2]]);
  });

  it('derives sessions whose large group grows with the trace session and whose popularity is its length', () => {
    const short = seedFrom([5], 0);
    const long = seedFrom(
      Array.from({ length: 60 }, (_, i) => i),
      1,
    );
    expect(Object.keys(short.data).sort()).toEqual(['app', 'auth', 'cart', 'profile', 'settings']);
    expect(short.weight).toBe(1);
    expect(long.weight).toBe(60);
    const bytes = (s: typeof short, g: string) => Buffer.byteLength(JSON.stringify(s.data[g]));
    expect(bytes(long, 'app')).toBeGreaterThan(20_000);
    expect(bytes(short, 'app')).toBeLessThan(600);
    // The small groups stay small whatever the session.
    for (const g of ['auth', 'profile', 'settings']) expect(bytes(long, g)).toBeLessThan(300);
    expect(seedBytes(long)).toBeGreaterThan(bytes(long, 'app'));
    expect(seedFrom([5], 0)).toEqual(short);
  });

  it('draws requests by their shares and sessions by weight', () => {
    expect(MIX.reduce((n, r) => n + r.share, 0)).toBeCloseTo(1, 10);
    expect(pickRequest(0)).toMatchObject({ method: 'GET', group: 'auth' });
    expect(pickRequest(0.999)).toMatchObject({ group: 'app' });
    expect(pickRequest(0.6)).toMatchObject({ method: 'GET', group: 'profile' });
    const cum = cumulative([1, 0, 3]);
    expect(cum).toEqual([1, 1, 4]);
    expect(pickWeighted(cum, 0)).toBe(0);
    expect(pickWeighted(cum, 0.24)).toBe(0);
    expect(pickWeighted(cum, 0.26)).toBe(2);
    expect(pickWeighted(cum, 0.99)).toBe(2);
  });

  it('summarises latencies: nearest-rank quantiles over a time window of successful requests', () => {
    expect(quantile([], 0.5)).toBeUndefined();
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(
      quantile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.99,
      ),
    ).toBe(99);
    const samples = [
      { at: 10, ms: 1, ok: true },
      { at: 20, ms: 100, ok: false },
      { at: 30, ms: 3, ok: true },
      { at: 40, ms: 50, ok: true },
    ];
    expect(windowStats(samples, 10, 40)).toEqual({ n: 2, p50: 1, p99: 3 });
  });

  it('reads quantiles out of Prometheus histogram buckets', () => {
    const text = [
      'x_seconds_bucket{le="0.001",source="peer"} 2',
      'x_seconds_bucket{le="0.01",source="peer"} 9',
      'x_seconds_bucket{le="+Inf",source="peer"} 10',
      'x_seconds_bucket{le="0.001",source="postgres"} 0',
      'x_seconds_bucket{le="+Inf",source="postgres"} 4',
      'x_seconds_count{source="peer"} 10',
    ].join('\n');
    const peer = histogramBuckets([text], 'x_seconds', 'source="peer"');
    expect(histogramQuantile(peer, 0.5)).toBe(0.01);
    expect(histogramQuantile(peer, 0.2)).toBe(0.001);
    expect(histogramQuantile(peer, 0.99)).toBe(Number.POSITIVE_INFINITY);
    expect(histogramQuantile(new Map(), 0.5)).toBeUndefined();
    const both = histogramBuckets([text, text], 'x_seconds');
    expect(both.get(Number.POSITIVE_INFINITY)).toBe(28);
    expect(bucketDelta(both, peer).get(0.01)).toBe(9);
  });
});
