import { quantile, renderTable, summarize } from './report';

describe('bench:prefetch-e2e report', () => {
  it('takes nearest-rank quantiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(v, 0.5)).toBe(50);
    expect(quantile(v, 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
  });

  it('counts waits on the origin (demand and in flight), prefetched hits and fetches per request', () => {
    const r = summarize(
      'p',
      'lru',
      false,
      [
        { ms: 1, source: 'cache' },
        { ms: 2, source: 'prefetched' },
        { ms: 20, source: 'inflight' },
        { ms: 25, source: 'origin' },
      ],
      6,
      1,
    );
    expect(r).toMatchObject({ requests: 4, waitedShare: 0.5, inflightShare: 0.25, prefetchedShare: 0.25, originFetchesPerRequest: 1.5, p50Ms: 2 });
    expect(renderTable([r]).split('\n')).toHaveLength(3);
  });
});
