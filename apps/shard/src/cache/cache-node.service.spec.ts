import { loadConfig } from '@foresight/config';
import { ManualClock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { CacheNodeService } from './cache-node.service';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never;

describe('CacheNodeService', () => {
  it('ages cached values on the injected clock, not the wall clock', () => {
    const config = loadConfig('shard', { NODE_ENV: 'test' });
    const clock = new ManualClock(Date.now());
    const service = new CacheNodeService(config, {} as NatsConnection, quiet, clock);
    service.cache.set('product:1', { name: 'x' }, 10, { ttlMs: 1000 });
    expect(service.cache.has('product:1')).toBe(true);
    clock.advance(1001);
    expect(service.cache.has('product:1')).toBe(false);
  });
});
