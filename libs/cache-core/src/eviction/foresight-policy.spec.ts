import { ByteCache } from '../store/byte-cache';
import { ForesightPolicy } from './foresight-policy';
import { ProtectionTable } from './protection-table';

function setup(budget: number, maxProtectedShare = 0.5) {
  const protection = new ProtectionTable();
  const policy = new ForesightPolicy({ protection, maxProtectedShare });
  const cache = new ByteCache<string>({ budgetBytes: budget, policy });
  const read = (...keys: string[]) => keys.forEach((k) => cache.read(k) ?? cache.set(k, k, 1));
  return { protection, policy, cache, read };
}

describe('ForesightPolicy (scorer)', () => {
  it('keeps frequently read keys over a burst of one-off reads', () => {
    const { cache, read } = setup(3);
    read('hot', 'hot', 'hot', 'warm', 'warm', 'x', 'y', 'z');
    expect(cache.has('hot')).toBe(true);
    expect(cache.has('warm')).toBe(true);
  });

  it('never evicts an entry predicted for a live session while unprotected ones remain', () => {
    const { cache, read, protection } = setup(3, 1);
    read('a', 'a', 'b', 'b');
    protection.protect('s1', 'rare', 0.4, 2);
    cache.set('rare', 'rare', 1, { prefetched: true });
    read('c', 'd', 'e');
    expect(cache.has('rare')).toBe(true);
  });

  it('lets the protection lapse after the session moved on its horizon, then the unused prefetch goes first', () => {
    const { cache, read, protection } = setup(3, 1);
    read('a', 'b');
    protection.protect('s1', 'p', 0.3, 1);
    cache.set('p', 'p', 1, { prefetched: true });
    protection.advance('s1');
    read('c');
    expect(cache.has('p')).toBe(true);
    protection.advance('s1');
    read('d');
    expect(cache.has('p')).toBe(false);
    expect(cache.stats.prefetchWasted).toBe(1);
  });

  it('ages unused prefetches faster than equally frequent entries that were read', () => {
    const { cache, read } = setup(2);
    read('u', 'v');
    cache.read('pf');
    cache.read('w');
    read('v');
    // pf and u both have one read; pf arrived by prefetch and was not read since, u was.
    cache.delete('v');
    cache.set('pf', 'pf', 1, { prefetched: true });
    read('new');
    expect(cache.has('pf')).toBe(false);
    expect(cache.has('u')).toBe(true);
  });

  it('evicts the least likely protected entry when protected entries exceed their share of the budget', () => {
    const { cache, protection } = setup(4, 0.5);
    protection.protect('s', 'p1', 0.9, 5);
    protection.protect('s', 'p2', 0.2, 5);
    protection.protect('s', 'p3', 0.5, 5);
    for (const k of ['p1', 'p2', 'p3']) cache.set(k, k, 1, { prefetched: true });
    cache.set('free', 'free', 1);
    cache.set('other', 'other', 1);
    expect(cache.has('p2')).toBe(false);
    expect(cache.has('p1') && cache.has('p3')).toBe(true);
  });

  it('refuses a speculative entry that would push out a more likely protected one', () => {
    const { cache, protection } = setup(1, 1);
    protection.protect('s', 'sure', 0.8, 5);
    cache.set('sure', 'sure', 1, { prefetched: true });
    protection.protect('s', 'maybe', 0.1, 5);
    expect(cache.set('maybe', 'maybe', 1, { prefetched: true })).toBe('rejected');
    expect(cache.set('demand', 'demand', 1)).toBe('stored');
  });
});

describe('ProtectionTable', () => {
  it('takes the highest probability over sessions and releases on end and idleness', () => {
    const t = new ProtectionTable();
    const changes: string[] = [];
    t.subscribe((k) => changes.push(k));
    t.protect('s1', 'k', 0.2, 3, 0);
    t.protect('s2', 'k', 0.6, 3, 1000);
    expect(t.level('k')).toBe(0.6);
    t.endSession('s2');
    expect(t.level('k')).toBe(0.2);
    expect(t.sweepIdle(40_000, 30_000)).toBe(1);
    expect(t.level('k')).toBe(0);
    expect(changes).toEqual(['k', 'k', 'k', 'k']);
  });

  it('trims a session to its byte budget, dropping old and unlikely predictions first', () => {
    const t = new ProtectionTable();
    t.protect('s', 'old-likely', 0.9, 10);
    t.advance('s');
    t.advance('s');
    t.protect('s', 'new-likely', 0.5, 10);
    t.protect('s', 'new-unlikely', 0.1, 10);
    // values: old-likely 0.9 × 0.7² = 0.441, new-likely 0.5, new-unlikely 0.1
    t.trim('s', 2, () => 1, 0.7);
    expect([t.holds('s', 'new-likely'), t.holds('s', 'old-likely'), t.holds('s', 'new-unlikely')]).toEqual([true, true, false]);
    t.trim('s', 1, () => 1, 0.7);
    expect(t.level('new-likely')).toBe(0.5);
    expect(t.level('old-likely')).toBe(0);
  });
});
