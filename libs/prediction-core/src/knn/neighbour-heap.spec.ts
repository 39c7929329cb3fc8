import { seededRng } from '@foresight/random';
import { NeighbourHeap } from './neighbour-heap';

describe('NeighbourHeap', () => {
  it('given many candidates with ties, when offered, then exactly the k best remain (ties: the more recent session)', () => {
    // Given
    const rng = seededRng(9);
    const candidates = Array.from({ length: 2000 }, (_, sid) => ({ sim: Math.floor(rng() * 50) / 50, sid }));
    const heap = new NeighbourHeap(100);
    // When
    for (const c of candidates) heap.offer(c.sim, c.sid % 977, c.sid);
    // Then
    const expected = [...candidates].sort((a, b) => b.sim - a.sim || b.sid - a.sid).slice(0, 100);
    const kept = Array.from({ length: heap.size }, (_, i) => ({ sim: heap.sims[i]!, slot: heap.slots[i]! }));
    expect(kept.map((k) => k.sim).sort()).toEqual(expected.map((e) => e.sim).sort());
    expect(kept.map((k) => k.slot).sort((a, b) => a - b)).toEqual(expected.map((e) => e.sid % 977).sort((a, b) => a - b));
  });

  it('given fewer candidates than k, when offered, then all remain; reset empties it', () => {
    const heap = new NeighbourHeap(5);
    heap.offer(0.5, 1, 1);
    heap.offer(0.7, 2, 2);
    expect(heap.size).toBe(2);
    heap.reset();
    expect(heap.size).toBe(0);
  });
});
