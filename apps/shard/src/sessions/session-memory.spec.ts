import { SessionMemory } from './session-memory';

const never = () => false;

describe('SessionMemory', () => {
  it('tracks the total size of what it holds', () => {
    const m = new SessionMemory<number>((v) => v);
    m.set('a', 10, 0);
    m.set('b', 20, 0);
    m.set('a', 5, 0);
    expect(m.bytes).toBe(25);
    m.delete('b');
    expect(m.bytes).toBe(5);
    expect(m.size).toBe(1);
  });

  it('over the budget, evicts the least recently used first (a get counts as a use, a peek does not)', () => {
    const m = new SessionMemory<number>((v) => v);
    m.set('a', 10, 0);
    m.set('b', 10, 1);
    m.set('c', 10, 2);
    m.get('a', 3);
    m.peek('b');
    expect(m.evictOverBudget(20, never)).toEqual(['b']);
    expect(m.evictOverBudget(20, never)).toEqual([]);
    expect(m.evictOverBudget(10, never)).toEqual(['c']);
    expect([...m].map(([id]) => id)).toEqual(['a']);
  });

  it('keeps pinned entries, even over the budget', () => {
    const m = new SessionMemory<number>((v) => v);
    m.set('locked', 100, 0);
    m.set('b', 10, 1);
    expect(m.evictOverBudget(50, (id) => id === 'locked')).toEqual(['b']);
    expect(m.bytes).toBe(100);
  });

  it('evicts entries idle for the TTL, in order of last use, skipping pinned ones', () => {
    const m = new SessionMemory<number>((v) => v);
    m.set('a', 1, 0);
    m.set('p', 1, 0);
    m.set('b', 1, 500);
    m.set('c', 1, 900);
    expect(m.evictIdle(1000, 500, (id) => id === 'p')).toEqual(['a', 'b']);
    expect([...m].map(([id]) => id)).toEqual(['p', 'c']);
  });
});
