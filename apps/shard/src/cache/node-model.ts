import type { PredictedAction } from '@foresight/cache-core';
import type { HotPathModel } from '@foresight/prediction-core';
import type { NodeModel } from './swappable-predictor';

/**
 * A loaded model bundle behind the planner's interface: action names to indices (an action the
 * model never saw is the vocabulary's catch-all 0, never predicted itself), the last `maxHistory`
 * actions of the session, per-user learning from the actions this node records.
 */
export class BundleNodeModel implements NodeModel {
  constructor(
    readonly model: HotPathModel,
    private readonly maxHistory: number,
  ) {}

  get name(): string {
    return this.model.predictor.serving;
  }

  predict(history: readonly string[], n: number, userId: string | null, lookAhead = false): readonly PredictedAction[] {
    const { vocabulary, predictor } = this.model;
    const out: PredictedAction[] = [];
    for (const s of predictor.predict(this.encode(history), n + 1, userId, !lookAhead)) {
      if (s.action !== 0 && out.length < n) out.push({ action: vocabulary.decode(s.action), p: s.p });
    }
    return out;
  }

  learn(userId: string, history: readonly string[], next: string): void {
    const a = this.model.vocabulary.lookup(next);
    if (a > 0) this.model.predictor.observe(userId, this.encode(history), a);
  }

  private encode(history: readonly string[]): number[] {
    const v = this.model.vocabulary;
    return history.slice(-this.maxHistory).map((a) => v.lookup(a));
  }
}
