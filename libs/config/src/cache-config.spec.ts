import { ConfigError, loadConfig } from './config';
import { originCaptures, parseOrigins, parseRequirements } from './cache-config';
import { loadOriginExampleConfig } from './origin-example-config';

describe('predictive cache configuration', () => {
  it('defaults to the foresight policy, prefetching, no origins', () => {
    const c = loadConfig('shard', {}).cache;
    expect(c).toMatchObject({ policy: 'foresight', prefetch: true, origins: [], requirements: [] });
    expect(c.budgetBytes).toBe(256 * 1024 * 1024);
  });

  it('parses HTTP and NATS origins with defaults', () => {
    const problems: string[] = [];
    const origins = parseOrigins(
      JSON.stringify([
        { id: 'catalog', pattern: 'product:{id}', kind: 'http', url: 'http://catalog:8080/items/{id}?full={key}', ttlMs: 60000 },
        { id: 'reviews', pattern: 'reviews:*', type: 'nats', subject: 'origin.reviews', timeoutMs: 200, retries: 2, breaker: { failureThreshold: 3 } },
      ]),
      'FORESIGHT_ORIGINS',
      2000,
      problems,
    );
    expect(problems).toEqual([]);
    expect(origins[0]).toMatchObject({ id: 'catalog', kind: 'http', timeoutMs: 500, retries: 1, ttlMs: 60000, breaker: { failureThreshold: 5, openMs: 5000 } });
    expect(origins[1]).toMatchObject({ id: 'reviews', kind: 'nats', subject: 'origin.reviews', retries: 2, ttlMs: null, breaker: { failureThreshold: 3 } });
  });

  it('lists every problem of a bad origins list', () => {
    const problems: string[] = [];
    parseOrigins(
      JSON.stringify([
        { id: 'a b', pattern: '', kind: 'ftp' },
        { id: 'x', pattern: 'p:{id}', kind: 'http', url: 'http://h/{sku}' },
        { id: 'y', pattern: 'q:*', kind: 'nats', subject: 'a.*' },
        { id: 'z', pattern: 'r:*', kind: 'http', url: 'http://h/{key}', timeoutMs: 1000, retries: 2 },
      ]),
      'FORESIGHT_ORIGINS',
      2000,
      problems,
    );
    const text = problems.join('\n');
    expect(text).toMatch(/\[0\]\.id/);
    expect(text).toMatch(/\[0\]\.pattern/);
    expect(text).toMatch(/\[0\]\.kind/);
    expect(text).toMatch(/\[1\]\.url uses \{sku\}/);
    expect(text).toMatch(/\[2\]\.subject/);
    expect(text).toMatch(/\[3\].*NATS_REQUEST_TIMEOUT_MS/);
    expect(parseOrigins('not json', 'X', 2000, [])).toEqual([]);
  });

  it('fails fast at load with FORESIGHT_ORIGINS problems', () => {
    expect(() => loadConfig('shard', { FORESIGHT_ORIGINS: '{"id":1}' })).toThrow(ConfigError);
    expect(() => loadConfig('shard', { CACHE_POLICY: 'fifo' })).toThrow(/CACHE_POLICY/);
  });

  it('reads the fetch budget, 1.3 by default, and refuses one below a demand-only cache', () => {
    expect(loadConfig('shard', {}).cache.fetchBudget).toBe(1.3);
    expect(loadConfig('shard', { CACHE_FETCH_BUDGET: '2' }).cache.fetchBudget).toBe(2);
    expect(() => loadConfig('shard', { CACHE_FETCH_BUDGET: '0.8' })).toThrow(/CACHE_FETCH_BUDGET/);
    expect(() => loadConfig('shard', { CACHE_FETCH_BUDGET: 'lots' })).toThrow(/CACHE_FETCH_BUDGET/);
  });

  it('names captures by name or position', () => {
    expect(originCaptures('user:{uid}:orders:*')).toEqual(['uid', '2']);
    expect(originCaptures('plain')).toEqual([]);
  });

  it('parses declared requirements', () => {
    const problems: string[] = [];
    expect(parseRequirements('[{"pattern":"view_product:{id}","keys":["product:{id}","reviews:{id}"]}]', 'R', problems)).toEqual([
      { pattern: 'view_product:{id}', keys: ['product:{id}', 'reviews:{id}'] },
    ]);
    parseRequirements('[{"pattern":"a b","keys":[1]}]', 'R', problems);
    expect(problems).toHaveLength(1);
  });

  it('reads the example origin from flags and environment', () => {
    const c = loadOriginExampleConfig({ ORIGIN_LATENCY_MS: '5' }, ['--port', '0', '--payload-bytes', '2048']);
    expect(c).toMatchObject({ port: 0, latencyMs: 5, payloadBytes: 2048, failureRate: 0 });
    expect(() => loadOriginExampleConfig({ ORIGIN_FAILURE_RATE: '2' }, ['--bogus'])).toThrow(ConfigError);
  });
});
