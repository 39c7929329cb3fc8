import { ByteCache } from '../store/byte-cache';
import { LfuPolicy } from './lfu-policy';
import { LruPolicy } from './lru-policy';

function fill(cache: ByteCache<string>, keys: string[]): void {
  for (const k of keys) if (cache.read(k) === undefined) cache.set(k, k, 1);
}

describe('LRU and LFU policies', () => {
  it('LRU evicts the least recently read entry', () => {
    const cache = new ByteCache<string>({ budgetBytes: 3, policy: new LruPolicy() });
    fill(cache, ['a', 'b', 'c', 'a', 'd']);
    expect(cache.keys().sort()).toEqual(['a', 'c', 'd']);
  });

  it('LFU evicts the least frequently read entry, the least recent among equals', () => {
    const cache = new ByteCache<string>({ budgetBytes: 3, policy: new LfuPolicy() });
    fill(cache, ['a', 'a', 'b', 'b', 'c', 'd']);
    expect(cache.keys().sort()).toEqual(['a', 'b', 'd']);
    fill(cache, ['e']);
    expect(cache.keys().sort()).toEqual(['a', 'b', 'e']);
  });

  it('perfect LFU remembers counts of evicted keys; in-cache LFU does not', () => {
    // b is read more often overall, but after re-entering it has fewer reads in the cache than a.
    const trace = ['b', 'b', 'a', 'a', 'a', 'c', 'b', 'd'];
    const inCache = new ByteCache<string>({ budgetBytes: 2, policy: new LfuPolicy() });
    const perfect = new ByteCache<string>({ budgetBytes: 2, policy: new LfuPolicy({ retainHistory: true }) });
    fill(inCache, trace);
    fill(perfect, trace);
    expect(perfect.has('b')).toBe(true);
    expect(inCache.has('b')).toBe(false);
  });

  it('a decaying LFU lets recent popularity overtake old popularity', () => {
    const cache = new ByteCache<string>({ budgetBytes: 1, policy: new LfuPolicy({ retainHistory: true, halfLife: 2 }) });
    fill(cache, ['old', 'old', 'old', 'new', 'new', 'new', 'new']);
    expect(cache.keys()).toEqual(['new']);
  });
});
