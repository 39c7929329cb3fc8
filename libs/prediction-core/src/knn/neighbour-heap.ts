/**
 * The k best neighbours of a query: a binary min-heap on (similarity, session id), so a candidate
 * costs O(log k) at most, and O(1) when it cannot enter. Ties go to the more recent session
 * (higher id). Entries are in heap order, not sorted (votes are summed, order does not matter).
 */
export class NeighbourHeap {
  readonly sims: Float64Array;
  readonly slots: Int32Array;
  private readonly sids: Float64Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.sims = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
    this.sids = new Float64Array(capacity);
  }

  reset(): void {
    this.size = 0;
  }

  /** Offers a candidate (ring slot `slot`, session id `sid`). */
  offer(sim: number, slot: number, sid: number): void {
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(sim, sid, parent)) break;
        this.move(parent, i);
        i = parent;
      }
      this.put(i, sim, slot, sid);
      return;
    }
    if (this.capacity === 0 || !this.better(sim, sid, 0)) return;
    // Replace the worst (the root) and sift down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const child = r < this.size && this.lower(r, l) ? r : l;
      if (!this.worse(this.sims[child]!, this.sids[child]!, -1, sim, sid)) break;
      this.move(child, i);
      i = child;
    }
    this.put(i, sim, slot, sid);
  }

  /** (sim, sid) ranks below entry `j` (or below the pair given when `j` is −1). */
  private worse(sim: number, sid: number, j: number, otherSim = this.sims[j]!, otherSid = this.sids[j]!): boolean {
    return sim < otherSim || (sim === otherSim && sid < otherSid);
  }

  private better(sim: number, sid: number, j: number): boolean {
    return sim > this.sims[j]! || (sim === this.sims[j]! && sid > this.sids[j]!);
  }

  /** Entry `a` ranks below entry `b`. */
  private lower(a: number, b: number): boolean {
    return this.worse(this.sims[a]!, this.sids[a]!, b);
  }

  private move(from: number, to: number): void {
    this.sims[to] = this.sims[from]!;
    this.slots[to] = this.slots[from]!;
    this.sids[to] = this.sids[from]!;
  }

  private put(i: number, sim: number, slot: number, sid: number): void {
    this.sims[i] = sim;
    this.slots[i] = slot;
    this.sids[i] = sid;
  }
}
