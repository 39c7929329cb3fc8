import { ManualClock } from '@foresight/time';
import { LruPolicy } from '../eviction/lru-policy';
import { ByteCache } from './byte-cache';

describe('ByteCache', () => {
  it('accounts bytes and evicts until the entry fits the budget', () => {
    const cache = new ByteCache<string>({ budgetBytes: 100, policy: new LruPolicy() });
    cache.set('a', 'a', 40);
    cache.set('b', 'b', 40);
    cache.set('c', 'c', 50);
    expect(cache.usedBytes).toBe(90);
    expect(cache.keys()).toEqual(['b', 'c']);
    expect(cache.set('huge', 'h', 101)).toBe('too-large');
    expect(cache.set('b', 'B', 60)).toBe('replaced');
    expect(cache.usedBytes).toBeLessThanOrEqual(100);
    expect(cache.peek('b')).toBe('B');
  });

  it('expires entries by TTL on the injected clock', () => {
    const clock = new ManualClock();
    const cache = new ByteCache<string>({ budgetBytes: 10, policy: new LruPolicy(), clock });
    cache.set('k', 'v', 1, { ttlMs: 1000 });
    clock.advance(999);
    expect(cache.get('k')).toBe('v');
    clock.advance(1);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.stats.expirations).toBe(1);
    expect(cache.usedBytes).toBe(0);
  });

  it('counts used and wasted prefetches and reports removals', () => {
    const removed: string[] = [];
    const cache = new ByteCache<string>({
      budgetBytes: 2,
      policy: new LruPolicy(),
      onRemove: (key, reason, unused) => removed.push(`${key}:${reason}:${unused}`),
    });
    cache.set('p1', 'x', 1, { prefetched: true });
    cache.set('p2', 'x', 1, { prefetched: true });
    expect(cache.read('p2')?.prefetchUsed).toBe(true);
    expect(cache.read('p2')?.prefetchUsed).toBe(false);
    cache.set('d', 'x', 1);
    expect(cache.delete('p2')).toBe(true);
    expect(cache.stats).toMatchObject({ prefetchInserts: 2, prefetchUsed: 1, prefetchWasted: 1, hits: 2 });
    expect(removed).toEqual(['p1:evicted:true', 'p2:deleted:false']);
  });

  it('rejects invalid keys and sizes with a code', () => {
    const cache = new ByteCache<string>({ budgetBytes: 2, policy: new LruPolicy() });
    expect(() => cache.set('a b', 'x', 1)).toThrow(expect.objectContaining({ code: 'CACHE.INVALID_KEY' }));
    expect(() => cache.set('a', 'x', -1)).toThrow(expect.objectContaining({ code: 'CACHE.INVALID_ARGUMENT' }));
  });
});
