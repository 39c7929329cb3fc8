import { requireInt, requireNumber } from '../errors';
import type { NextActionPredictor, ScoredAction } from '../predictor';
import { TopNBuffer } from '../util/top-n';
import { VariableOrderMarkov, type MarkovOptions } from './variable-order-markov';

/** Options of {@link UserBlendedMarkov}. */
export interface UserBlendOptions {
  /** Options of each per-user model (default: the global model's order, 4,096 contexts). */
  readonly user?: MarkovOptions;
  /** κ in λ = maxUserWeight · n / (n + κ), n = transitions seen from the user (default 20). */
  readonly priorStrength?: number;
  /** Upper bound of the user weight λ (default 0.5). */
  readonly maxUserWeight?: number;
  /** Memory bound: per-user models kept, least recently used evicted (default 10,000). */
  readonly maxUsers?: number;
  /** Whether {@link UserBlendedMarkov.observe} also trains the global model (default true). */
  readonly updateGlobal?: boolean;
}

/**
 * Global Markov model plus one small model per user, mixed as
 * p = λ_u · p_user + (1 − λ_u) · p_global with λ_u growing with how much the user has been seen.
 * A user never seen gets λ = 0: cold start is exactly the global model.
 */
export class UserBlendedMarkov {
  readonly priorStrength: number;
  readonly maxUserWeight: number;
  readonly maxUsers: number;
  readonly updateGlobal: boolean;
  private readonly userOptions: MarkovOptions;
  private readonly users = new Map<string, VariableOrderMarkov>();
  private readonly buffer = new TopNBuffer(32);
  private denseA = new Float64Array(0);

  constructor(
    readonly global: VariableOrderMarkov,
    options: UserBlendOptions = {},
  ) {
    this.priorStrength = requireNumber('priorStrength', options.priorStrength ?? 20, 0, 1e9);
    this.maxUserWeight = requireNumber('maxUserWeight', options.maxUserWeight ?? 0.5, 0, 1);
    this.maxUsers = requireInt('maxUsers', options.maxUsers ?? 10_000, 1);
    this.updateGlobal = options.updateGlobal ?? true;
    this.userOptions = { maxOrder: global.options.maxOrder, smoothing: global.options.smoothing, maxContexts: 4096, ...options.user };
  }

  /** Number of users with a personal model. */
  get userCount(): number {
    return this.users.size;
  }

  /** Weight λ of the user's own model (0 for a user never seen). */
  userWeight(userId: string): number {
    const n = this.users.get(userId)?.observations ?? 0;
    return n === 0 ? 0 : (this.maxUserWeight * n) / (n + this.priorStrength);
  }

  /** The user's personal model, if any (for inspection and snapshots). */
  userModel(userId: string): VariableOrderMarkov | undefined {
    return this.users.get(userId);
  }

  /** Learns a transition for `userId` (and globally unless `updateGlobal` is false). */
  observe(userId: string, history: readonly number[], next: number): void {
    if (this.updateGlobal) this.global.observe(history, next);
    this.touch(userId, true)!.observe(history, next);
  }

  /** Blended distribution over the global vocabulary. */
  distribution(userId: string, history: readonly number[], out: Float64Array): void {
    this.global.distribution(history, out);
    const user = this.touch(userId, false);
    const lambda = this.userWeight(userId);
    if (user === undefined || lambda === 0) return;
    if (this.denseA.length < out.length) this.denseA = new Float64Array(out.length);
    const mine = this.denseA.subarray(0, out.length);
    user.growVocabulary(this.global.vocabularySize);
    user.distribution(history, mine);
    for (let a = 0; a < out.length; a++) out[a] = lambda * mine[a]! + (1 - lambda) * out[a]!;
  }

  /**
   * Top-N of the blend, exact: candidates come from both models' top lists, are scored exactly,
   * and the lists are deepened until the N-th score beats what any unlisted action could reach.
   */
  predict(userId: string, history: readonly number[], n: number): ScoredAction[] {
    requireInt('n', n, 0);
    const user = this.touch(userId, false);
    const lambda = this.userWeight(userId);
    if (user === undefined || lambda === 0) return this.global.predict(history, n);
    user.growVocabulary(this.global.vocabularySize);
    const vocab = this.global.vocabularySize;
    const want = Math.min(n, vocab);
    for (let depth = Math.min(vocab, want + 4); ; depth = Math.min(vocab, depth * 2)) {
      const fromGlobal = this.global.predict(history, depth);
      const fromUser = user.predict(history, depth);
      const buf = want <= this.buffer.capacity ? this.buffer : new TopNBuffer(want);
      buf.reset(want);
      const seen = new Set<number>();
      for (const { action } of [...fromGlobal, ...fromUser]) {
        if (seen.has(action)) continue;
        seen.add(action);
        const p = lambda * user.probabilityAt(history, history.length, action) + (1 - lambda) * this.global.probabilityAt(history, history.length, action);
        buf.offer(action, p);
      }
      const bound = lambda * (fromUser[depth - 1]?.p ?? 0) + (1 - lambda) * (fromGlobal[depth - 1]?.p ?? 0);
      if (depth >= vocab || (buf.full && buf.floor > bound)) return buf.toArray();
    }
  }

  /** A {@link NextActionPredictor} view bound to one user. */
  forUser(userId: string): NextActionPredictor {
    const global = this.global;
    return {
      name: `${global.name}+user`,
      get vocabularySize() {
        return global.vocabularySize;
      },
      observe: (h, next) => this.observe(userId, h, next),
      predict: (h, n) => this.predict(userId, h, n),
      distribution: (h, out) => this.distribution(userId, h, out),
    };
  }

  /** All per-user models (for snapshots). */
  entries(): IterableIterator<[string, VariableOrderMarkov]> {
    return this.users.entries();
  }

  /** @internal Installs a user model (snapshot restore). */
  setUser(userId: string, model: VariableOrderMarkov): void {
    this.users.set(userId, model);
  }

  private touch(userId: string, create: boolean): VariableOrderMarkov | undefined {
    let model = this.users.get(userId);
    if (model !== undefined) {
      // Re-insert so Map order is least-recently-used first.
      this.users.delete(userId);
      this.users.set(userId, model);
      return model;
    }
    if (!create) return undefined;
    model = new VariableOrderMarkov({ ...this.userOptions, vocabularySize: this.global.vocabularySize, name: `user:${userId}` });
    this.users.set(userId, model);
    if (this.users.size > this.maxUsers) this.users.delete(this.users.keys().next().value!);
    return model;
  }
}
