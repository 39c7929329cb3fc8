import { UserBlendedMarkov, VariableOrderMarkov, Vocabulary, type ScoredAction, type SessionKnnOptions } from '@foresight/prediction-core';
import { LiveKnn } from './live-knn';
import { SessionWindows, type SessionWindow } from './session-windows';

/** One recorded action, as stored in Postgres and published on the session stream. */
export interface ActionObservation {
  readonly sessionId: string;
  readonly userId: string | null;
  readonly action: string;
  readonly streamVersion: number;
  readonly position: number;
  /** The event store partition whose position it is (positions are per partition server); '' when there is one. */
  readonly partition?: string;
}

/** Sizes and memory bounds of the online model. */
export interface OnlineModelOptions {
  readonly markovOrder: number;
  readonly maxContexts: number;
  readonly maxUsers: number;
  readonly maxSessions: number;
  /** Actions kept per session (at least the Markov order). */
  readonly windowLength: number;
  /** Vocabulary to start from (indices must match a stored model); a fresh one otherwise. */
  readonly vocabulary?: Vocabulary;
  /** The session-kNN index's bounds (sessions held, neighbours, candidate sessions per action). */
  readonly knn?: SessionKnnOptions;
}

/** Key of sessions without a user: never learned as a user, so its blend weight stays 0 (global only). */
const NO_USER = '';

/**
 * The models that learn online from action events: the action vocabulary, the global
 * variable-order Markov model, per-user models blended with it, the session-kNN index, and each
 * session's recent actions.
 * Single-threaded and synchronous: an update is complete when `learn` returns.
 */
export class OnlineModel {
  readonly vocabulary: Vocabulary;
  readonly global: VariableOrderMarkov;
  readonly blend: UserBlendedMarkov;
  readonly windows: SessionWindows;
  readonly knn: LiveKnn;
  /** Highest event position learned so far, per event store partition (by label). */
  readonly applied = new Map<string, number>();
  learned = 0;
  skipped = 0;

  constructor(readonly options: OnlineModelOptions) {
    this.vocabulary = options.vocabulary ?? new Vocabulary();
    this.global = new VariableOrderMarkov({ maxOrder: options.markovOrder, maxContexts: options.maxContexts, vocabularySize: this.vocabulary.size });
    this.blend = new UserBlendedMarkov(this.global, { maxUsers: options.maxUsers });
    this.windows = new SessionWindows(options.maxSessions, Math.max(options.windowLength, options.markovOrder));
    this.knn = new LiveKnn(options.knn);
  }

  /**
   * Learns one action. `priorHistory` (action names before this one, oldest first) seeds the
   * session's window when it is not in memory. Returns false, learning nothing, when the event is
   * not newer than the last one learned for its session (a redelivery or a late duplicate).
   */
  learn(o: ActionObservation, priorHistory?: readonly string[]): boolean {
    let w: SessionWindow | undefined = this.windows.get(o.sessionId);
    if (w !== undefined && o.streamVersion <= w.lastVersion) {
      this.skipped++;
      return false;
    }
    const next = this.vocabulary.encode(o.action);
    const prior = (priorHistory ?? []).map((a) => this.vocabulary.encode(a));
    // A session the kNN index no longer holds is seeded with what is known of it.
    this.knn.learn(o.sessionId, next, prior.length > 0 ? prior : (w?.actions ?? []));
    w ??= this.windows.open(o.sessionId, o.userId, prior, 0);
    if (o.userId) this.blend.observe(o.userId, w.actions, next);
    else this.global.observe(w.actions, next);
    this.global.growVocabulary(this.vocabulary.size);
    this.windows.push(w, next, o.streamVersion);
    this.advance(o.partition ?? '', o.position);
    this.learned++;
    return true;
  }

  /** Records that everything up to `position` of `partition` was learned. */
  advance(partition: string, position: number): void {
    if (position > (this.applied.get(partition) ?? 0)) this.applied.set(partition, position);
  }

  /** Exact top-N of the Markov part (user blend when the user has been seen, else global). */
  predictMarkov(userId: string | null, history: readonly number[], n: number): readonly ScoredAction[] {
    return this.blend.predict(userId ?? NO_USER, history, n);
  }

  /** Dense Markov distribution (user blend) over the current vocabulary. */
  distributionMarkov(userId: string | null, history: readonly number[], out: Float64Array): void {
    this.blend.distribution(userId ?? NO_USER, history, out);
  }
}
