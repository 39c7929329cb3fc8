import { TopNBuffer } from '../util/top-n';
import type { ComponentName, MixtureWeights } from './mixture';

/**
 * Held-out evidence for fitting mixture weights to ranking quality: per position, a short list of
 * candidate actions (each component's top `depth` plus the true next action) with every
 * component's probability of each, whether each is already in the session, and the components'
 * session masses (so repeat factors can be applied afterwards).
 */
export class RankSample {
  private readonly starts: number[] = [0];
  private readonly actions: number[] = [];
  private readonly probs: number[] = [];
  private readonly inSession: number[] = [];
  private readonly targets: number[] = [];
  private readonly lengths: number[] = [];
  private readonly masses: number[] = [];
  private readonly buffer: TopNBuffer;
  private marks = new Int32Array(0);
  private stamp = 0;

  constructor(
    readonly components: number,
    readonly depth = 30,
  ) {
    this.buffer = new TopNBuffer(depth);
  }

  get size(): number {
    return this.targets.length;
  }

  /**
   * Records a position: `rows[c]` is component c's dense row, `history` the session so far,
   * `mass[c]` its session mass, `target` the true next action.
   */
  add(rows: readonly Float64Array[], history: ArrayLike<number>, len: number, target: number, mass: readonly number[]): void {
    const width = rows[0]!.length;
    if (this.marks.length < width) this.marks = new Int32Array(width);
    const seen = ++this.stamp;
    const list: number[] = [];
    const push = (a: number): void => {
      if (a >= 0 && a < width && this.marks[a] !== seen) {
        this.marks[a] = seen;
        list.push(a);
      }
    };
    push(target);
    for (const row of rows) {
      this.buffer.reset(this.depth);
      for (let a = 0; a < width; a++) if (!this.buffer.full || row[a]! > this.buffer.floor) this.buffer.offer(a, row[a]!);
      for (let i = 0; i < this.buffer.size; i++) push(this.buffer.actions[i]!);
    }
    const session = ++this.stamp;
    for (let i = 0; i < len; i++) if (history[i]! < width) this.marks[history[i]!] = session;
    for (const a of list) {
      this.actions.push(a);
      this.inSession.push(this.marks[a] === session ? 1 : 0);
      for (const row of rows) this.probs.push(row[a]!);
    }
    this.starts.push(this.actions.length);
    this.targets.push(target);
    this.lengths.push(len);
    this.masses.push(...mass);
  }

  /**
   * Weights of the components `use` (indices into the sample's, named `names`, with repeat
   * factors `repeat`) maximising MRR@20 over the sample: a grid over the simplex (step `step`)
   * per history-length bucket, each component's probabilities first rescaled by its repeat
   * factor. Buckets with fewer than `minSamples` positions take the weights best over all.
   */
  fit(
    names: readonly ComponentName[],
    use: readonly number[],
    repeat: readonly number[],
    lengthBuckets: number,
    step = 0.05,
    minSamples = 200,
    /** Use the first `upTo` positions recorded (default: all). */
    upTo = this.size,
  ): MixtureWeights {
    const all = this.components;
    const C = use.length;
    const n = Math.min(upTo, this.size);
    const adjusted = new Float64Array((this.probs.length / all) * C);
    for (let i = 0; i < n; i++) {
      for (let j = this.starts[i]!; j < this.starts[i + 1]!; j++) {
        for (let k = 0; k < C; k++) {
          const c = use[k]!;
          const rho = repeat[k]!;
          const m = this.masses[i * all + c]!;
          adjusted[j * C + k] = (this.probs[j * all + c]! * (this.inSession[j] ? rho : 1)) / Math.max(1e-300, rho * m + 1 - m);
        }
      }
    }
    const grid = simplexGrid(C, step);
    const byBucket: number[][] = Array.from({ length: lengthBuckets }, () => []);
    for (let i = 0; i < n; i++) byBucket[Math.min(this.lengths[i]!, lengthBuckets) - 1]!.push(i);
    const everyone = Array.from({ length: n }, (_, i) => i);
    const best = (positions: readonly number[]): number[] => {
      let top = grid[0]!;
      let topScore = -1;
      for (const w of grid) {
        const score = this.mrr(adjusted, C, positions, w);
        if (score > topScore) {
          top = w;
          topScore = score;
        }
      }
      return top;
    };
    const overall = best(everyone);
    const weights: number[] = [];
    for (const positions of byBucket) weights.push(...(positions.length >= minSamples ? best(positions) : overall));
    return { version: 2, components: [...names], lengthBuckets, evidenceBuckets: 1, weights, repeat: [...repeat] };
  }

  /** MRR@20 of the mixture `w` over `positions`, ranking within each position's candidates. */
  private mrr(adjusted: Float64Array, C: number, positions: readonly number[], w: readonly number[]): number {
    let sum = 0;
    for (const i of positions) {
      const from = this.starts[i]!;
      const to = this.starts[i + 1]!;
      // The target is the first candidate of its list.
      let t = 0;
      for (let c = 0; c < C; c++) t += w[c]! * adjusted[from * C + c]!;
      const target = this.actions[from]!;
      let rank = 1;
      for (let j = from + 1; j < to && rank <= 20; j++) {
        let s = 0;
        for (let c = 0; c < C; c++) s += w[c]! * adjusted[j * C + c]!;
        if (s > t || (s === t && this.actions[j]! < target)) rank++;
      }
      if (rank <= 20) sum += 1 / rank;
    }
    return positions.length > 0 ? sum / positions.length : 0;
  }
}

/** Every weight vector of `C` components on the simplex with the given step (as rounded fractions). */
export function simplexGrid(C: number, step: number): number[][] {
  const k = Math.round(1 / step);
  const out: number[][] = [];
  const walk = (prefix: number[], left: number): void => {
    if (prefix.length === C - 1) {
      out.push([...prefix, left].map((x) => x / k));
      return;
    }
    for (let i = 0; i <= left; i++) walk([...prefix, i], left - i);
  };
  walk([], k);
  return out;
}
