/** Strict "comes before" relation of a heap; make it total (break ties) where order must be reproducible. */
export type Less<T> = (a: T, b: T) => boolean;

/**
 * The one binary min-heap of the code base: the item `less` puts first is on top. Push and pop are
 * O(log n). `onMove` is told every item's new position, which is what lets {@link IndexedHeap} (and
 * anyone else keeping handles) change or remove an item in place with {@link update} / {@link removeAt}.
 */
export class BinaryHeap<T> {
  private readonly items: T[] = [];

  constructor(
    private readonly less: Less<T>,
    private readonly onMove: (item: T, index: number) => void = () => undefined,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.up(this.items.length - 1, item);
  }

  /** Removes and returns the first item. */
  pop(): T | undefined {
    return this.items.length === 0 ? undefined : this.removeAt(0);
  }

  /** Removes the item at `index` (as last reported to `onMove`). */
  removeAt(index: number): T {
    const items = this.items;
    const removed = items[index];
    if (removed === undefined) throw new RangeError(`no heap item at ${index}`);
    const last = items.pop()!;
    if (index < items.length) this.place(index, last);
    return removed;
  }

  /** Restores the order after the item at `index` changed how it compares. */
  update(index: number): void {
    const item = this.items[index];
    if (item === undefined) throw new RangeError(`no heap item at ${index}`);
    this.place(index, item);
  }

  /** Empties the heap. */
  clear(): void {
    this.items.length = 0;
  }

  private place(index: number, item: T): void {
    if (index > 0 && this.less(item, this.items[(index - 1) >> 1]!)) this.up(index, item);
    else this.down(index, item);
  }

  /** Moves `item` from the hole at `i` towards the root until its parent comes before it. */
  private up(i: number, item: T): void {
    const items = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!this.less(item, parent)) break;
      items[i] = parent;
      this.onMove(parent, i);
      i = p;
    }
    items[i] = item;
    this.onMove(item, i);
  }

  /** Moves `item` from the hole at `i` towards the leaves until no child comes before it. */
  private down(i: number, item: T): void {
    const items = this.items;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(items[r]!, items[l]!) ? r : l;
      const child = items[c]!;
      if (!this.less(child, item)) break;
      items[i] = child;
      this.onMove(child, i);
      i = c;
    }
    items[i] = item;
    this.onMove(item, i);
  }
}
