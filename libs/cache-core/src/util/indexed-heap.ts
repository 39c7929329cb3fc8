/**
 * Min-heap of string keys by numeric priority with O(log n) update and removal by key.
 * Equal priorities are ordered by the time of the last push/update (older first), so a heap
 * keyed by frequency evicts the least recently touched of equally frequent keys.
 */
export class IndexedHeap {
  private readonly keys: string[] = [];
  private readonly pri: number[] = [];
  private readonly seq: number[] = [];
  private readonly index = new Map<string, number>();
  private counter = 0;

  get size(): number {
    return this.keys.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Priority of `key`, or `undefined` when absent. */
  priorityOf(key: string): number | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.pri[i];
  }

  /** Inserts `key` or changes its priority (refreshing its tie-break age). */
  set(key: string, priority: number): void {
    const i = this.index.get(key);
    if (i === undefined) {
      const n = this.keys.length;
      this.keys.push(key);
      this.pri.push(priority);
      this.seq.push(++this.counter);
      this.index.set(key, n);
      this.up(n);
      return;
    }
    this.pri[i] = priority;
    this.seq[i] = ++this.counter;
    this.down(i);
    this.up(i);
  }

  /** Removes `key`; returns false when it was absent. */
  delete(key: string): boolean {
    const i = this.index.get(key);
    if (i === undefined) return false;
    const last = this.keys.length - 1;
    this.swap(i, last);
    this.keys.pop();
    this.pri.pop();
    this.seq.pop();
    this.index.delete(key);
    if (i < last) {
      this.down(i);
      this.up(i);
    }
    return true;
  }

  /** Key with the lowest priority (oldest among ties), or `undefined` when empty. */
  peek(): string | undefined {
    return this.keys[0];
  }

  /** Lowest priority, or `undefined` when empty. */
  peekPriority(): number | undefined {
    return this.pri[0];
  }

  private less(a: number, b: number): boolean {
    const pa = this.pri[a]!;
    const pb = this.pri[b]!;
    return pa < pb || (pa === pb && this.seq[a]! < this.seq[b]!);
  }

  private swap(a: number, b: number): void {
    if (a === b) return;
    const k = this.keys;
    const p = this.pri;
    const s = this.seq;
    [k[a], k[b]] = [k[b]!, k[a]!];
    [p[a], p[b]] = [p[b]!, p[a]!];
    [s[a], s[b]] = [s[b]!, s[a]!];
    this.index.set(k[a]!, a);
    this.index.set(k[b]!, b);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
