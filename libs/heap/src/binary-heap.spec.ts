import { seededRng } from '@foresight/random';
import { BinaryHeap } from './binary-heap';

interface Item {
  readonly id: number;
  value: number;
  index: number;
}

const byValueThenId = (a: Item, b: Item) => a.value < b.value || (a.value === b.value && a.id < b.id);

describe('BinaryHeap', () => {
  it('pops in the order of a sorted reference through random pushes, pops, updates and removals', () => {
    const rng = seededRng(11);
    const heap = new BinaryHeap<Item>(byValueThenId, (item, index) => (item.index = index));
    const live = new Set<Item>();
    let id = 0;
    const first = () => [...live].sort((a, b) => (byValueThenId(a, b) ? -1 : byValueThenId(b, a) ? 1 : 0))[0];
    for (let step = 0; step < 3000; step++) {
      const op = rng();
      if (op < 0.45 || live.size === 0) {
        const item = { id: id++, value: Math.floor(rng() * 100), index: -1 };
        heap.push(item);
        live.add(item);
      } else if (op < 0.65) {
        const expected = first();
        expect(heap.pop()).toBe(expected);
        live.delete(expected!);
      } else if (op < 0.85) {
        const item = [...live][Math.floor(rng() * live.size)]!;
        item.value = Math.floor(rng() * 100);
        heap.update(item.index);
      } else {
        const item = [...live][Math.floor(rng() * live.size)]!;
        expect(heap.removeAt(item.index)).toBe(item);
        live.delete(item);
      }
      expect(heap.size).toBe(live.size);
      expect(heap.peek()).toBe(first());
      for (const item of live) expect(item.index).toBeGreaterThanOrEqual(0);
    }
  });

  it('keeps insertion order among equals when the tie-break is a sequence number', () => {
    let seq = 0;
    const heap = new BinaryHeap<{ at: number; seq: number; name: string }>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
    for (const [at, name] of [
      [5, 'a'],
      [1, 'b'],
      [5, 'c'],
      [1, 'd'],
      [5, 'e'],
    ] as const)
      heap.push({ at, seq: seq++, name });
    const order: string[] = [];
    for (let x = heap.pop(); x !== undefined; x = heap.pop()) order.push(x.name);
    expect(order).toEqual(['b', 'd', 'a', 'c', 'e']);
  });

  it('refuses positions it does not hold', () => {
    const heap = new BinaryHeap<number>((a, b) => a < b);
    heap.push(1);
    expect(() => heap.removeAt(1)).toThrow(RangeError);
    expect(() => heap.update(-1)).toThrow(RangeError);
    heap.clear();
    expect(heap.pop()).toBeUndefined();
  });
});
