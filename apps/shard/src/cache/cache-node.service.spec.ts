import { loadConfig } from '@foresight/config';
import { ErrorCodes } from '@foresight/contracts';
import { ManualClock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { CacheNodeService } from './cache-node.service';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never;

function node(env: Record<string, string> = {}) {
  const config = loadConfig('shard', {
    NODE_ENV: 'test',
    FORESIGHT_ORIGINS: JSON.stringify([{ id: 'example', pattern: 'product:{id}', kind: 'http', url: 'http://127.0.0.1:9/items/{key}' }]),
    ...env,
  });
  return new CacheNodeService({ config, nc: {} as NatsConnection, logger: quiet, clock: new ManualClock(Date.now()) });
}

describe('CacheNodeService (no I/O)', () => {
  it('declares, lists and removes requirements through its methods', () => {
    const cache = node();
    cache.declare({ pattern: 'view_product:{id}', keys: ['product:{id}'] });
    expect(cache.declarations()).toEqual([{ pattern: 'view_product:{id}', keys: ['product:{id}'] }]);
    expect(cache.nodeStats().declaredRequirements).toBe(1);
    cache.declare({ pattern: 'view_product:{id}', keys: [] });
    expect(cache.declarations()).toEqual([]);
  });

  it('refuses a key no origin serves, or one that does not fit its origin pattern, with ORIGIN.NOT_FOUND', async () => {
    const cache = node();
    await expect(cache.get('s', 'user:1')).rejects.toMatchObject({ code: ErrorCodes.ORIGIN_NOT_FOUND });
    await expect(cache.get('s', 'product:1:extra')).rejects.toMatchObject({ code: ErrorCodes.ORIGIN_NOT_FOUND });
  });

  it('counts invalidations and malformed invalidation messages', () => {
    const cache = node();
    expect(cache.invalidate({ keys: ['product:1'] })).toBe(0);
    expect(cache.invalidate({ pattern: 'product:*' })).toBe(0);
    cache.countInvalidMessage();
    expect(cache.nodeStats()).toMatchObject({ invalidations: 2, invalidMessages: 1 });
  });

  it('swaps the local model and reports its version', () => {
    const cache = node();
    expect(cache.modelVersion).toBeNull();
    cache.setModel('v3', { name: 'markov', predict: () => [] });
    expect(cache.modelVersion).toBe('v3');
    expect(cache.nodeStats().modelVersion).toBe('v3');
  });
});
