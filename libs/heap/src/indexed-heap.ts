import { BinaryHeap } from './binary-heap';

interface Entry<K> {
  readonly key: K;
  priority: number;
  /** When the key was last set: breaks ties between equal priorities, older first. */
  seq: number;
  index: number;
}

/**
 * Min-heap of keys by numeric priority with O(log n) update and removal by key. Equal priorities
 * are ordered by the time of the last {@link set} (older first), so the order is total and
 * reproducible: a heap keyed by frequency evicts the least recently touched of equally frequent
 * keys, and timers due at the same moment run in the order they were scheduled.
 */
export class IndexedHeap<K = string> {
  private readonly entries = new Map<K, Entry<K>>();
  private readonly heap = new BinaryHeap<Entry<K>>(
    (a, b) => a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq),
    (entry, index) => (entry.index = index),
  );
  private counter = 0;

  get size(): number {
    return this.heap.size;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Priority of `key`, or `undefined` when absent. */
  priorityOf(key: K): number | undefined {
    return this.entries.get(key)?.priority;
  }

  /** Inserts `key` or changes its priority (refreshing its tie-break age). */
  set(key: K, priority: number): void {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      const added: Entry<K> = { key, priority, seq: ++this.counter, index: -1 };
      this.entries.set(key, added);
      this.heap.push(added);
      return;
    }
    entry.priority = priority;
    entry.seq = ++this.counter;
    this.heap.update(entry.index);
  }

  /** Removes `key`; returns false when it was absent. */
  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.heap.removeAt(entry.index);
    return true;
  }

  /** Key with the lowest priority (oldest among ties), or `undefined` when empty. */
  peek(): K | undefined {
    return this.heap.peek()?.key;
  }

  /** Lowest priority, or `undefined` when empty. */
  peekPriority(): number | undefined {
    return this.heap.peek()?.priority;
  }

  /** Removes and returns the key with the lowest priority (oldest among ties). */
  pop(): K | undefined {
    const entry = this.heap.pop();
    if (entry === undefined) return undefined;
    this.entries.delete(entry.key);
    return entry.key;
  }
}
