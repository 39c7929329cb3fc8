const INDEX_THRESHOLD = 12;

/**
 * Successor counts of one context, kept sorted by count (desc) at all times so that top-N reads
 * are a prefix scan. An increment moves the entry up past smaller counts (usually 0 or 1 swap).
 * Small lists are scanned linearly; larger ones get an action → position index.
 */
export class SuccessorList {
  actions: Int32Array;
  counts: Uint32Array;
  size = 0;
  total = 0;
  private index: Map<number, number> | null = null;
  /** action → position + 1 (0 = absent); used instead of `index` for lists over most actions. */
  private dense: Int32Array | null = null;

  constructor(capacity = 2) {
    this.actions = new Int32Array(capacity);
    this.counts = new Uint32Array(capacity);
  }

  /** Switches to an array index (for the order-0 list, which holds nearly every action). */
  useDenseIndex(): this {
    this.dense = new Int32Array(Math.max(16, this.actions.length));
    this.index = null;
    for (let i = 0; i < this.size; i++) this.setPosition(this.actions[i]!, i);
    return this;
  }

  /** Position of `action`, or -1. */
  positionOf(action: number): number {
    if (this.dense !== null) return action < this.dense.length ? this.dense[action]! - 1 : -1;
    if (this.index !== null) return this.index.get(action) ?? -1;
    const actions = this.actions;
    for (let i = 0; i < this.size; i++) if (actions[i] === action) return i;
    return -1;
  }

  /** Count of `action` (0 when absent). */
  countOf(action: number): number {
    const i = this.positionOf(action);
    return i < 0 ? 0 : this.counts[i]!;
  }

  /** Adds `by` to the count of `action`; returns true when the action is new to this context. */
  increment(action: number, by = 1): boolean {
    let i = this.positionOf(action);
    const isNew = i < 0;
    if (isNew) i = this.append(action);
    this.counts[i]! += by;
    this.total += by;
    this.bubbleUp(i);
    return isNew;
  }

  /** Removes every successor whose count is below `minCount`; returns how many were removed. */
  removeBelow(minCount: number): number {
    let w = 0;
    for (let r = 0; r < this.size; r++) {
      const c = this.counts[r]!;
      if (c >= minCount) {
        this.actions[w] = this.actions[r]!;
        this.counts[w] = c;
        w++;
      } else {
        this.total -= c;
      }
    }
    const removed = this.size - w;
    this.size = w;
    if (removed > 0) this.rebuildIndex();
    return removed;
  }

  /** Builds a list from (action, count) pairs already sorted by count desc. */
  static fromSorted(actions: Int32Array, counts: Uint32Array): SuccessorList {
    const list = new SuccessorList(Math.max(2, actions.length));
    list.actions.set(actions);
    list.counts.set(counts);
    list.size = actions.length;
    for (let i = 0; i < counts.length; i++) list.total += counts[i]!;
    list.rebuildIndex();
    return list;
  }

  private append(action: number): number {
    if (this.size === this.actions.length) {
      const cap = this.actions.length * 2;
      const a = new Int32Array(cap);
      a.set(this.actions);
      const c = new Uint32Array(cap);
      c.set(this.counts);
      this.actions = a;
      this.counts = c;
    }
    const i = this.size++;
    this.actions[i] = action;
    this.counts[i] = 0;
    if (this.dense !== null || this.index !== null) this.setPosition(action, i);
    else if (this.size > INDEX_THRESHOLD) this.rebuildIndex();
    return i;
  }

  private bubbleUp(i: number): void {
    const actions = this.actions;
    const counts = this.counts;
    const c = counts[i]!;
    const a = actions[i]!;
    let j = i;
    const indexed = this.index !== null || this.dense !== null;
    while (j > 0 && counts[j - 1]! < c) {
      counts[j] = counts[j - 1]!;
      actions[j] = actions[j - 1]!;
      if (indexed) this.setPosition(actions[j]!, j);
      j--;
    }
    if (j !== i) {
      counts[j] = c;
      actions[j] = a;
      if (indexed) this.setPosition(a, j);
    }
  }

  private setPosition(action: number, position: number): void {
    if (this.dense !== null) {
      if (action >= this.dense.length) {
        const grown = new Int32Array(Math.max(action + 1, this.dense.length * 2));
        grown.set(this.dense);
        this.dense = grown;
      }
      this.dense[action] = position + 1;
    } else {
      this.index!.set(action, position);
    }
  }

  private rebuildIndex(): void {
    if (this.dense !== null) {
      this.dense.fill(0);
      for (let i = 0; i < this.size; i++) this.setPosition(this.actions[i]!, i);
      return;
    }
    if (this.size <= INDEX_THRESHOLD) {
      this.index = null;
      return;
    }
    const index = new Map<number, number>();
    for (let i = 0; i < this.size; i++) index.set(this.actions[i]!, i);
    this.index = index;
  }
}
