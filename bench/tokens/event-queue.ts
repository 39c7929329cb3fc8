import { BinaryHeap } from '@foresight/heap';

interface Timed<T> {
  readonly at: number;
  readonly seq: number;
  readonly item: T;
}

/** A min-heap of timed events; equal times pop in insertion order, so replays are deterministic. */
export class EventQueue<T> {
  private readonly heap = new BinaryHeap<Timed<T>>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;

  get size(): number {
    return this.heap.size;
  }

  push(at: number, item: T): void {
    this.heap.push({ at, seq: this.seq++, item });
  }

  pop(): { at: number; item: T } | undefined {
    const top = this.heap.pop();
    return top && { at: top.at, item: top.item };
  }
}
