import { requireInt } from './errors';
import type { NextActionPredictor, ScoredAction } from './predictor';
import { SuccessorList } from './markov/successor-list';
import { TopNBuffer } from './util/top-n';

/**
 * Most-popular baseline: ignores the history and predicts actions by overall frequency,
 * with add-one smoothing so the distribution covers every action.
 */
export class MostPopularPredictor implements NextActionPredictor {
  readonly name = 'popularity';
  private readonly counts = new SuccessorList(16).useDenseIndex();
  private vocab: number;
  private readonly buffer = new TopNBuffer(32);

  constructor(vocabularySize = 1) {
    this.vocab = requireInt('vocabularySize', vocabularySize, 1);
  }

  get vocabularySize(): number {
    return this.vocab;
  }

  observe(_history: readonly number[], next: number): void {
    requireInt('action', next, 0);
    if (next >= this.vocab) this.vocab = next + 1;
    this.counts.increment(next);
  }

  /** Learns every transition of a session. */
  observeSession(session: readonly number[]): void {
    for (let i = 1; i < session.length; i++) this.observe(session, session[i]!);
  }

  predict(_history: readonly number[], n: number): ScoredAction[] {
    requireInt('n', n, 0);
    const buf = n <= this.buffer.capacity ? this.buffer : new TopNBuffer(n);
    buf.reset(Math.min(n, this.vocab));
    const denom = this.counts.total + this.vocab;
    for (let i = 0; i < this.counts.size && !buf.full; i++) {
      buf.offer(this.counts.actions[i]!, (this.counts.counts[i]! + 1) / denom);
    }
    for (let a = 0; a < this.vocab && !buf.full; a++) {
      if (this.counts.positionOf(a) < 0) buf.offer(a, 1 / denom);
    }
    return buf.toArray();
  }

  distribution(_history: readonly number[], out: Float64Array): void {
    out.fill(0);
    const denom = this.counts.total + this.vocab;
    const end = Math.min(out.length, this.vocab);
    for (let a = 0; a < end; a++) out[a] = 1 / denom;
    for (let i = 0; i < this.counts.size; i++) {
      const a = this.counts.actions[i]!;
      if (a < end) out[a] = (this.counts.counts[i]! + 1) / denom;
    }
  }
}
