import { PredictionError, requireInt, requireNumber } from '../errors';
import type { NextActionPredictor, ScoredAction } from '../predictor';
import { BOS, ContextHasher } from './context-hash';
import { interpolatedDistribution, interpolatedProbability, interpolatedTopN } from './interpolated';
import { ppmDistribution, ppmProbability, ppmTopN } from './ppm';
import { pruneContexts } from './prune';
import { Scratch } from './scratch';
import { SuccessorList } from './successor-list';

/** Back-off scheme: PPM with exclusion (escape method C or D) or interpolated absolute discounting. */
export type Smoothing = 'ppm-c' | 'ppm-d' | 'interpolated';

/** Options of {@link VariableOrderMarkov}. */
export interface MarkovOptions {
  /** Highest context order K (1..8, default 3). */
  readonly maxOrder?: number;
  /** Back-off scheme (default `interpolated`, the best measured on MSNBC and FIFA; see README). */
  readonly smoothing?: Smoothing;
  /** Discount D of `interpolated` smoothing, in (0, 1] (default 0.9, measured; see README). */
  readonly discount?: number;
  /** Treat the start of a session as a context symbol (default true). */
  readonly anchorSessionStart?: boolean;
  /** Memory bound: at most this many contexts of order ≥ 1 (default 1,000,000); rare ones are pruned. */
  readonly maxContexts?: number;
  /** Initial vocabulary size; grows with observed actions (default 1). */
  readonly vocabularySize?: number;
  /** Name in reports (default `markov-K`). */
  readonly name?: string;
}

/** Fully resolved options. */
export type ResolvedMarkovOptions = Required<MarkovOptions>;

/** Resolves and validates {@link MarkovOptions}. */
export function resolveMarkovOptions(o: MarkovOptions = {}): ResolvedMarkovOptions {
  const maxOrder = requireInt('maxOrder', o.maxOrder ?? 3, 1, 8);
  const smoothing = o.smoothing ?? 'interpolated';
  if (!['ppm-c', 'ppm-d', 'interpolated'].includes(smoothing)) {
    throw new PredictionError('PREDICTION.INVALID_ARGUMENT', `Unknown smoothing "${smoothing}".`);
  }
  return {
    maxOrder,
    smoothing,
    discount: requireNumber('discount', o.discount ?? 0.9, 1e-6, 1),
    anchorSessionStart: o.anchorSessionStart ?? true,
    maxContexts: requireInt('maxContexts', o.maxContexts ?? 1_000_000, 16),
    vocabularySize: requireInt('vocabularySize', o.vocabularySize ?? 1, 1),
    name: o.name ?? `markov-${maxOrder}`,
  };
}

/**
 * Variable-order Markov model (orders 0..K) with back-off, updated incrementally.
 *
 * Contexts live in a map keyed by a 53-bit hash of the last k actions; successor lists are kept
 * sorted so top-N is a short prefix scan with no allocation (see {@link predictInto}).
 */
export class VariableOrderMarkov implements NextActionPredictor {
  readonly options: ResolvedMarkovOptions;
  /** Contexts of order ≥ 1 by hash key. */
  readonly contexts = new Map<number, SuccessorList>();
  private rootList = new SuccessorList(16).useDenseIndex();
  private vocab: number;
  private observed = 0;
  private readonly hasher = new ContextHasher();
  private readonly scratch: Scratch;

  constructor(options: MarkovOptions = {}) {
    this.options = resolveMarkovOptions(options);
    this.vocab = this.options.vocabularySize;
    this.scratch = new Scratch(this.options.maxOrder);
  }

  get name(): string {
    return this.options.name;
  }

  /** The order-0 context (overall action counts). */
  get root(): SuccessorList {
    return this.rootList;
  }

  get vocabularySize(): number {
    return this.vocab;
  }

  /** Number of transitions observed so far. */
  get observations(): number {
    return this.observed;
  }

  /** Widens the distribution to cover `size` actions (never shrinks). */
  growVocabulary(size: number): void {
    if (size > this.vocab) this.vocab = size;
  }

  observe(history: readonly number[], next: number): void {
    this.observeAt(history, history.length, next);
  }

  /**
   * Learns one transition where the history is `seq[0..len)` (avoids slicing sessions);
   * `weight` is the integer number of times it was seen.
   */
  observeAt(seq: ArrayLike<number>, len: number, next: number, weight = 1): void {
    requireInt('action', next, 0);
    if (weight !== 1) requireInt('weight', weight, 1, 1 << 20);
    if (next >= this.vocab) this.vocab = next + 1;
    const top = this.chain(seq, len, true);
    const nodes = this.scratch.nodes;
    for (let k = 0; k <= top; k++) nodes[k]!.increment(next, weight);
    this.observed++;
    if (this.contexts.size > this.options.maxContexts) {
      pruneContexts(this.contexts, Math.floor(this.options.maxContexts * 0.75));
    }
  }

  /** Learns every transition of a session. */
  observeSession(session: readonly number[]): void {
    for (let i = 1; i < session.length; i++) this.observeAt(session, i, session[i]!);
  }

  predict(history: readonly number[], n: number): ScoredAction[] {
    this.topN(history, history.length, n);
    return this.scratch.buffer.toArray();
  }

  /**
   * Allocation-free top-N: writes up to `n` actions and probabilities (sorted) into the given
   * arrays and returns how many were written.
   */
  predictInto(history: ArrayLike<number>, len: number, n: number, actions: Int32Array, probs: Float64Array): number {
    this.topN(history, len, n);
    const buf = this.scratch.buffer;
    for (let i = 0; i < buf.size; i++) {
      actions[i] = buf.actions[i]!;
      probs[i] = buf.scores[i]!;
    }
    return buf.size;
  }

  distribution(history: readonly number[], out: Float64Array): void {
    this.distributionAt(history, history.length, out);
  }

  /** Dense distribution for the history `seq[0..len)`. */
  distributionAt(seq: ArrayLike<number>, len: number, out: Float64Array): void {
    const top = this.chain(seq, len, false);
    const o = this.options;
    if (o.smoothing === 'interpolated') interpolatedDistribution(this.scratch, top, this.vocab, o.discount, out);
    else ppmDistribution(this.scratch, top, this.vocab, o.smoothing === 'ppm-c' ? 'C' : 'D', out);
  }

  /** Exact probability of `action` after `seq[0..len)` without building the dense vector. */
  probabilityAt(seq: ArrayLike<number>, len: number, action: number): number {
    const top = this.chain(seq, len, false);
    const o = this.options;
    if (o.smoothing === 'interpolated') return interpolatedProbability(this.scratch, top, this.vocab, o.discount, action);
    const p = ppmProbability(this.scratch, top, this.vocab, o.smoothing === 'ppm-c' ? 'C' : 'D', action);
    if (!Number.isNaN(p)) return p;
    const dense = new Float64Array(this.vocab);
    ppmDistribution(this.scratch, top, this.vocab, o.smoothing === 'ppm-c' ? 'C' : 'D', dense);
    return dense[action] ?? 0;
  }

  /**
   * Evidence behind a prediction: the order and observation count of the deepest context of
   * `seq[0..len)` the model has seen (order 0 = none beyond overall popularity).
   */
  evidenceAt(seq: ArrayLike<number>, len: number): { readonly order: number; readonly count: number } {
    const top = this.chain(seq, len, false);
    const nodes = this.scratch.nodes;
    for (let k = top; k > 0; k--) {
      const node = nodes[k];
      if (node !== undefined && node.total > 0) return { order: k, count: node.total };
    }
    return { order: 0, count: this.rootList.total };
  }

  private topN(seq: ArrayLike<number>, len: number, n: number): void {
    requireInt('n', n, 0);
    const top = this.chain(seq, len, false);
    const buf = this.scratch.topN(Math.min(n, this.vocab));
    const o = this.options;
    if (o.smoothing === 'interpolated') interpolatedTopN(this.scratch, top, this.vocab, o.discount, buf);
    else ppmTopN(this.scratch, top, this.vocab, o.smoothing === 'ppm-c' ? 'C' : 'D', buf);
  }

  /**
   * Fills `scratch.nodes[0..top]` with the contexts of the history (creating them when `create`)
   * and returns `top`, the highest order the history supports.
   */
  private chain(seq: ArrayLike<number>, len: number, create: boolean): number {
    const nodes = this.scratch.nodes;
    nodes[0] = this.rootList;
    const anchor = this.options.anchorSessionStart;
    const top = Math.min(this.options.maxOrder, anchor ? len + 1 : len);
    this.hasher.reset();
    for (let k = 1; k <= top; k++) {
      const key = this.hasher.push(k <= len ? seq[len - k]! : BOS);
      let node = this.contexts.get(key);
      if (node === undefined && create) {
        node = new SuccessorList();
        this.contexts.set(key, node);
      }
      nodes[k] = node;
    }
    return top;
  }

  /** @internal Restores the order-0 list and counters after a snapshot load. */
  restore(root: SuccessorList, vocabularySize: number, observations: number): void {
    this.rootList = root.useDenseIndex();
    this.vocab = Math.max(this.vocab, vocabularySize);
    this.observed = observations;
  }
}
