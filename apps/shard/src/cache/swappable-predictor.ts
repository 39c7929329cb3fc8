import type { ActionPredictor, PredictedAction } from '@foresight/cache-core';

/**
 * The planner's next-action model, replaced in one assignment when a new model bundle arrives
 * (hot swap). Without a model it predicts nothing: the node still caches and learns requirements.
 */
export class SwappablePredictor implements ActionPredictor {
  private current: ActionPredictor | null = null;
  private currentVersion: string | null = null;

  get version(): string | null {
    return this.currentVersion;
  }

  swap(version: string | null, predictor: ActionPredictor | null): void {
    this.current = predictor;
    this.currentVersion = predictor === null ? null : version;
  }

  predict(history: readonly string[], n: number): readonly PredictedAction[] {
    return this.current?.predict(history, n) ?? [];
  }
}
