import type { ScoredAction } from '../predictor';

/**
 * Fixed-capacity buffer of the best `n` (action, score) pairs, kept sorted (score desc, action asc).
 * Reused across calls so top-N selection does not allocate.
 */
export class TopNBuffer {
  readonly actions: Int32Array;
  readonly scores: Float64Array;
  size = 0;
  private limit = 0;

  constructor(readonly capacity: number) {
    this.actions = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  /** Empties the buffer and sets how many entries to keep (≤ capacity). */
  reset(n: number): void {
    this.size = 0;
    this.limit = Math.min(n, this.capacity);
  }

  /** True when `limit` entries are held. */
  get full(): boolean {
    return this.size >= this.limit;
  }

  /** Score of the worst kept entry, or -Infinity while not full. */
  get floor(): number {
    return this.size >= this.limit && this.limit > 0 ? this.scores[this.size - 1]! : -Infinity;
  }

  /** Offers a candidate; keeps it if it ranks among the best `n`. */
  offer(action: number, score: number): void {
    if (this.limit === 0) return;
    let i = this.size;
    if (i >= this.limit) {
      const last = this.limit - 1;
      if (!ranksBefore(score, action, this.scores[last]!, this.actions[last]!)) return;
      i = last;
    } else {
      this.size++;
    }
    while (i > 0 && ranksBefore(score, action, this.scores[i - 1]!, this.actions[i - 1]!)) {
      this.scores[i] = this.scores[i - 1]!;
      this.actions[i] = this.actions[i - 1]!;
      i--;
    }
    this.scores[i] = score;
    this.actions[i] = action;
  }

  /** Index of `action` among the kept entries, or -1. */
  indexOf(action: number): number {
    for (let i = 0; i < this.size; i++) if (this.actions[i] === action) return i;
    return -1;
  }

  /** Copies the kept entries into a fresh array of {@link ScoredAction}. */
  toArray(): ScoredAction[] {
    const out: ScoredAction[] = new Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = { action: this.actions[i]!, p: this.scores[i]! };
    return out;
  }
}

function ranksBefore(score: number, action: number, otherScore: number, otherAction: number): boolean {
  return score > otherScore || (score === otherScore && action < otherAction);
}

/** Top `n` of a dense distribution (score desc, index asc); allocation-free apart from the result. */
export function topNOfDistribution(dist: Float64Array, n: number, buffer: TopNBuffer = new TopNBuffer(n)): ScoredAction[] {
  buffer.reset(n);
  for (let a = 0; a < dist.length; a++) {
    const p = dist[a]!;
    if (p > buffer.floor || !buffer.full) buffer.offer(a, p);
  }
  return buffer.toArray();
}

/** 1-based rank of `target` in `dist` (ties broken by lower index first, as `predict` does). */
export function rankOf(dist: Float64Array, target: number): number {
  const pt = dist[target] ?? 0;
  let rank = 1;
  for (let a = 0; a < dist.length; a++) {
    const p = dist[a]!;
    if (p > pt || (p === pt && a < target)) rank++;
  }
  return rank;
}
