import { TopNBuffer } from '../util/top-n';
import type { SuccessorList } from './successor-list';

/**
 * Reusable per-model working memory for scoring, so that prediction does not allocate:
 * the context chain, an exclusion set (epoch-stamped marks) and a top-N buffer.
 */
export class Scratch {
  /** `nodes[k]` = successor list of the order-k context of the current history (or undefined). */
  readonly nodes: (SuccessorList | undefined)[];
  marks = new Uint32Array(64);
  stamp = 0;
  excluded = new Int32Array(64);
  excludedCount = 0;
  weights: Float64Array;
  /** Per-order read positions of the top-N walk. */
  readonly positions: Int32Array;
  buffer = new TopNBuffer(64);

  constructor(maxOrder: number) {
    this.nodes = new Array(maxOrder + 2).fill(undefined);
    this.weights = new Float64Array(maxOrder + 2);
    this.positions = new Int32Array(maxOrder + 2);
  }

  /** Starts a fresh exclusion set sized for `vocabularySize` actions. */
  beginExclusion(vocabularySize: number): void {
    if (this.marks.length < vocabularySize) {
      this.marks = new Uint32Array(Math.max(vocabularySize, this.marks.length * 2));
      this.excluded = new Int32Array(this.marks.length);
      this.stamp = 0;
    }
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.marks.fill(0);
      this.stamp = 1;
    }
    this.excludedCount = 0;
  }

  isExcluded(action: number): boolean {
    return this.marks[action] === this.stamp;
  }

  exclude(action: number): void {
    if (this.marks[action] !== this.stamp) {
      this.marks[action] = this.stamp;
      this.excluded[this.excludedCount++] = action;
    }
  }

  /** Top-N buffer with room for at least `n` entries. */
  topN(n: number): TopNBuffer {
    if (this.buffer.capacity < n) this.buffer = new TopNBuffer(n);
    this.buffer.reset(n);
    return this.buffer;
  }
}
