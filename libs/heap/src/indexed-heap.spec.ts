import { seededRng } from '@foresight/random';
import { IndexedHeap } from './indexed-heap';

describe('IndexedHeap', () => {
  it('pops keys in priority order with updates and deletions, matching a sorted reference', () => {
    const rng = seededRng(7);
    const heap = new IndexedHeap();
    const ref = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const key = `k${Math.floor(rng() * 50)}`;
      const op = rng();
      if (op < 0.6) {
        const p = Math.floor(rng() * 1000) + rng();
        heap.set(key, p);
        ref.set(key, p);
      } else if (op < 0.8) {
        expect(heap.delete(key)).toBe(ref.delete(key));
      } else if (ref.size > 0) {
        const min = Math.min(...ref.values());
        expect(heap.peekPriority()).toBe(min);
        expect(ref.get(heap.peek()!)).toBe(min);
      }
      expect(heap.size).toBe(ref.size);
    }
  });

  it('breaks ties by age: the key set or updated longest ago comes first', () => {
    const heap = new IndexedHeap();
    heap.set('a', 1);
    heap.set('b', 1);
    heap.set('c', 1);
    expect(heap.peek()).toBe('a');
    heap.set('a', 1);
    expect(heap.peek()).toBe('b');
  });

  it('pops in priority order and forgets popped keys', () => {
    const heap = new IndexedHeap<number>();
    heap.set(3, 30);
    heap.set(1, 10);
    heap.set(2, 20);
    heap.set(3, 5);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([3, 1, 2, undefined]);
    expect(heap.has(3)).toBe(false);
    expect(heap.size).toBe(0);
  });
});
