import type { ActionPredictor, PredictedAction } from '@foresight/cache-core';

/** A next-action model over action names that may blend in what it learned of a user. */
export interface NodeModel {
  /** What it serves, for metrics and logs (e.g. `markov+knn`). */
  readonly name: string;
  /**
   * The `n` most likely next actions after `history` for a session of `userId` (null: unknown);
   * `lookAhead` marks a planner's second hop (a history the session has not reached).
   */
  predict(history: readonly string[], n: number, userId: string | null, lookAhead: boolean): readonly PredictedAction[];
  /** Learns that `userId` went from `history` to `next` (a model without per-user parts ignores it). */
  learn?(userId: string, history: readonly string[], next: string): void;
}

/**
 * The planner's next-action model, replaced in one assignment when a new model bundle arrives
 * (hot swap). Without a model it predicts nothing: the node still caches and learns requirements.
 * The planner asks with a history only; the caller names the session's user around a planning
 * call ({@link asUser}), which is synchronous, so the user cannot leak into another session's plan.
 */
export class SwappablePredictor implements ActionPredictor {
  private current: NodeModel | null = null;
  private currentVersion: string | null = null;
  private user: string | null = null;
  /** Predictions made in the current plan (the first is the session's own history, later ones look ahead). */
  private step = 0;

  get version(): string | null {
    return this.currentVersion;
  }

  /** Name of the model in use (`none` without one). */
  get name(): string {
    return this.current?.name ?? 'none';
  }

  swap(version: string | null, model: NodeModel | null): void {
    this.current = model;
    this.currentVersion = model === null ? null : version;
  }

  /** Runs `plan` with predictions made for `userId`'s session. */
  asUser<T>(userId: string | null, plan: () => T): T {
    const previous = this.user;
    const previousStep = this.step;
    this.user = userId;
    this.step = 0;
    try {
      return plan();
    } finally {
      this.user = previous;
      this.step = previousStep;
    }
  }

  learn(userId: string, history: readonly string[], next: string): void {
    this.current?.learn?.(userId, history, next);
  }

  predict(history: readonly string[], n: number): readonly PredictedAction[] {
    return this.current?.predict(history, n, this.user, this.step++ > 0) ?? [];
  }
}
