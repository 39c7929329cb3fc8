import { requireInt, requireNumber } from '../errors';

/** Options of {@link FrequencySketch}. */
export interface FrequencySketchOptions {
  /** Accesses after which an access weighs half as much (default Infinity = plain counts). */
  readonly halfLife?: number;
  /** Most keys tracked; beyond it the least frequent half is forgotten (default 1,048,576). */
  readonly maxKeys?: number;
}

/**
 * Exponentially decayed access counts of every key seen, resident or not.
 *
 * Scores are `log2(Σ 2^(tᵢ / halfLife))` over the key's access ticks tᵢ. A score only changes when
 * its key is accessed, yet comparing two scores at any moment compares the decayed counts, so
 * heaps keyed by score never need re-sorting as time passes. With no decay the score is `log2(count)`.
 */
export class FrequencySketch {
  private readonly scores = new Map<string, number>();
  private readonly halfLife: number;
  private readonly maxKeys: number;
  private tick = 0;

  constructor(options: FrequencySketchOptions = {}) {
    this.halfLife = requireNumber('halfLife', options.halfLife ?? Number.POSITIVE_INFINITY, 1);
    this.maxKeys = requireInt('maxKeys', options.maxKeys ?? 1 << 20, 2);
  }

  /** Records one access of `key` and returns its new score. */
  increment(key: string, weight = 1): number {
    const x = this.tick / this.halfLife + Math.log2(weight);
    this.tick++;
    const s = this.scores.get(key);
    const next = s === undefined ? x : Math.max(s, x) + Math.log2(1 + 2 ** -Math.abs(s - x));
    this.scores.set(key, next);
    if (this.scores.size > this.maxKeys) this.prune();
    return next;
  }

  /** Current score of `key`; `-Infinity` when never seen (or forgotten). */
  score(key: string): number {
    return this.scores.get(key) ?? Number.NEGATIVE_INFINITY;
  }

  /** Decayed access count of `key` as of now. */
  count(key: string): number {
    const s = this.scores.get(key);
    return s === undefined ? 0 : 2 ** (s - this.tick / this.halfLife);
  }

  forget(key: string): void {
    this.scores.delete(key);
  }

  get size(): number {
    return this.scores.size;
  }

  private prune(): void {
    const sorted = [...this.scores.values()].sort((a, b) => a - b);
    const cut = sorted[Math.floor(sorted.length / 2)]!;
    for (const [key, s] of this.scores) if (s < cut) this.scores.delete(key);
  }
}
