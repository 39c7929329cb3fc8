/** Stable error codes raised by the prediction core; callers map them to replies or log lines. */
export type PredictionErrorCode =
  | 'PREDICTION.INVALID_ARGUMENT'
  | 'PREDICTION.VOCABULARY_CORRUPT'
  | 'PREDICTION.SNAPSHOT_CORRUPT'
  | 'PREDICTION.SNAPSHOT_INCOMPATIBLE'
  | 'PREDICTION.ARTIFACT_CORRUPT'
  | 'PREDICTION.ARTIFACT_INCOMPATIBLE'
  | 'PREDICTION.BACKEND_UNAVAILABLE'
  | 'PREDICTION.TRAINING_FAILED';

/** Error with a stable {@link PredictionErrorCode} and a sentence a person can act on. */
export class PredictionError extends Error {
  override readonly name = 'PredictionError';

  constructor(
    readonly code: PredictionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Throws `PREDICTION.INVALID_ARGUMENT` unless `value` is an integer in `[min, max]`. */
export function requireInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PredictionError('PREDICTION.INVALID_ARGUMENT', `${name} must be an integer in [${min}, ${max}], got ${value}.`);
  }
  return value;
}

/** Throws `PREDICTION.INVALID_ARGUMENT` unless `value` is a finite number in `[min, max]`. */
export function requireNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new PredictionError('PREDICTION.INVALID_ARGUMENT', `${name} must be a number in [${min}, ${max}], got ${value}.`);
  }
  return value;
}
