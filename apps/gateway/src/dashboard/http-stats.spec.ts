import { Registry } from 'prom-client';
import { histogram } from '@foresight/observability';
import { countKindOf, histogramQuantile, httpDelta, httpTotals, latencyKindOf } from './http-stats';

/** The gateway's histogram as `instrumentHttp` defines it, filled with `observations`. */
async function samples(observations: readonly [method: string, route: string, status: number, seconds: number][]) {
  const registry = new Registry();
  const h = histogram(registry, 'foresight_http_request_seconds', 'Gateway HTTP latency', ['method', 'route', 'status']);
  for (const [method, route, status, seconds] of observations) h.observe({ method, route, status: String(status) }, seconds);
  return (await h.get()).values;
}

describe('the dashboard reading the gateway HTTP histogram', () => {
  it('tells session reads from writes and ignores every other route', () => {
    expect(latencyKindOf('GET', '/v1/sessions/:id/vars/:group/:name')).toBe('read');
    expect(latencyKindOf('GET', '/v1/sessions/:id')).toBe('read');
    expect(latencyKindOf('PUT', '/v1/sessions/:id/vars/:group/:name')).toBe('write');
    expect(latencyKindOf('POST', '/v1/sessions')).toBe('write');
    expect(latencyKindOf('POST', '/v1/sessions/:id/actions')).toBe('write');
    expect(latencyKindOf('GET', '/dashboard/events')).toBeUndefined();
    expect(latencyKindOf('GET', '/v1/sessions/:id/predictions')).toBeUndefined();
  });

  it('counts sessions created and ended, refreshes done and refused, pairs issued and server errors', () => {
    expect(countKindOf('POST', '/v1/sessions', 201)).toBe('created');
    expect(countKindOf('POST', '/v1/sessions', 400)).toBeUndefined();
    expect(countKindOf('DELETE', '/v1/sessions/:id', 200)).toBe('ended');
    expect(countKindOf('POST', '/v1/tokens/refresh', 200)).toBe('refreshed');
    expect(countKindOf('POST', '/v1/tokens/refresh', 401)).toBe('refreshRefused');
    expect(countKindOf('POST', '/v1/tokens/refresh', 503)).toBeUndefined();
    expect(countKindOf('POST', '/v1/sessions/:id/tokens', 201)).toBe('issued');
    expect(countKindOf('GET', '/v1/sessions/:id', 503)).toBe('serverErrors');
  });

  it('sums buckets and counts across statuses, and takes the difference between two readings', async () => {
    const first = httpTotals(
      await samples([
        ['GET', '/v1/sessions/:id', 200, 0.002],
        ['GET', '/v1/sessions/:id', 404, 0.0004],
        ['PUT', '/v1/sessions/:id/vars/:group/:name', 200, 0.02],
        ['POST', '/v1/sessions', 201, 0.003],
        ['GET', '/health', 200, 5],
      ]),
    );
    expect(first.buckets.read.get(Infinity)).toBe(2);
    expect(first.buckets.read.get(0.0005)).toBe(1);
    expect(first.buckets.write.get(Infinity)).toBe(2);
    expect(first.counts.created).toBe(1);
    const second = httpTotals(
      await samples([
        ['GET', '/v1/sessions/:id', 200, 0.002],
        ['GET', '/v1/sessions/:id', 404, 0.0004],
        ['GET', '/v1/sessions/:id', 200, 0.002],
        ['PUT', '/v1/sessions/:id/vars/:group/:name', 200, 0.02],
        ['POST', '/v1/sessions', 201, 0.003],
        ['POST', '/v1/sessions', 201, 0.003],
      ]),
    );
    const delta = httpDelta(second, first);
    expect(delta.buckets.read.get(Infinity)).toBe(1);
    expect(delta.counts.created).toBe(1);
    // A reading lower than the one before (a restarted registry) counts from zero.
    expect(httpDelta(first, second).counts.created).toBe(1);
  });

  it('interpolates quantiles inside a bucket as histogram_quantile does, null without observations', () => {
    const buckets = new Map([
      [0.001, 0],
      [0.01, 50],
      [0.1, 100],
      [Infinity, 100],
    ]);
    expect(histogramQuantile(buckets, 0.5)).toBeCloseTo(0.01);
    expect(histogramQuantile(buckets, 0.25)).toBeCloseTo(0.001 + 0.009 * 0.5);
    expect(histogramQuantile(buckets, 0.99)).toBeCloseTo(0.01 + 0.09 * 0.98);
    expect(
      histogramQuantile(
        new Map([
          [0.1, 0],
          [Infinity, 4],
        ]),
        0.5,
      ),
    ).toBe(0.1);
    expect(histogramQuantile(new Map([[Infinity, 0]]), 0.5)).toBeNull();
  });
});
