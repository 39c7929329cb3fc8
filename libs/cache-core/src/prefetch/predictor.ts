/** A predicted next action with its probability. */
export interface PredictedAction {
  readonly action: string;
  readonly p: number;
}

/** What the planner needs from a next-action model, over action names. */
export interface ActionPredictor {
  /** The `n` most likely next actions after `history` (oldest first), most likely first. */
  predict(history: readonly string[], n: number): readonly PredictedAction[];
  /** Learns that `next` followed `history` (optional: models trained elsewhere omit it). */
  observe?(history: readonly string[], next: string): void;
}

/** A model over dense action indices, as `@foresight/prediction-core`'s `NextActionPredictor`. */
export interface IndexedModel {
  observe(history: readonly number[], next: number): void;
  predict(history: readonly number[], n: number): readonly { readonly action: number; readonly p: number }[];
}

/** Action name ↔ index mapping, as `@foresight/prediction-core`'s `Vocabulary`. */
export interface ActionIndex {
  encode(action: string): number;
  lookup(action: string): number;
  decode(index: number): string;
}

/**
 * Adapts an index-based model and its vocabulary to {@link ActionPredictor}. Only the last
 * `maxHistory` actions are translated (a Markov model of order K needs K). Index 0 (the vocabulary's
 * catch-all bucket) is never predicted as a concrete action.
 */
export function indexedPredictor(vocabulary: ActionIndex, model: IndexedModel, maxHistory = 8): ActionPredictor {
  const encode = (history: readonly string[], grow: boolean) => history.slice(-maxHistory).map((a) => (grow ? vocabulary.encode(a) : vocabulary.lookup(a)));
  return {
    predict(history, n) {
      const out: PredictedAction[] = [];
      for (const s of model.predict(encode(history, false), n + 1)) {
        if (s.action !== 0 && out.length < n) out.push({ action: vocabulary.decode(s.action), p: s.p });
      }
      return out;
    },
    observe(history, next) {
      model.observe(encode(history, true), vocabulary.encode(next));
    },
  };
}
