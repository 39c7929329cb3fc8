/**
 * Subjects and the stream of the prediction service, beside the session/cluster ones in
 * `subjects.ts`. Request subjects (`<ns>.rpc.prediction.<op>`, any instance answers, queue group
 * `prediction`) never overlap stream subjects (`<ns>.evt.prediction.…`).
 */
export interface PredictionSubjects {
  /** Request/reply to any prediction instance; the op may also travel in `Fs-Op`. */
  predictionRpc(op: PredictionOp): string;
  /** Prediction events: `<ns>.evt.prediction.<kind>` for `type` = `prediction.<kind>`. */
  predictionEvent(type: string): string;
  readonly predictionEventsWildcard: string;
  /** The one session event the models learn from: `<ns>.evt.session.action_recorded`. */
  readonly actionRecorded: string;
  /** Stream `<NS>_PREDICTION`. */
  readonly predictionStream: string;
}

export type PredictionOp = 'predict' | 'model';

/** Model-updated events are small (metadata only); a day lets a cache node that was down catch up. */
export const PREDICTION_STREAM_MAX_AGE_MS = 86_400_000;
export const PREDICTION_STREAM_DUPLICATE_WINDOW_MS = 120_000;

const NAME = /^[A-Za-z0-9_-]+$/;

export function predictionSubjects(namespace = 'fs'): PredictionSubjects {
  if (!NAME.test(namespace)) throw new Error(`invalid subject namespace "${namespace}"`);
  return {
    predictionRpc: (op) => `${namespace}.rpc.prediction.${op}`,
    predictionEvent: (type) => `${namespace}.evt.${type}`,
    predictionEventsWildcard: `${namespace}.evt.prediction.>`,
    actionRecorded: `${namespace}.evt.session.action_recorded`,
    predictionStream: `${namespace.toUpperCase().replace(/-/g, '_')}_PREDICTION`,
  };
}
