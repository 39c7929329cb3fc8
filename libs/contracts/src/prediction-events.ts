import type { Envelope } from './envelope';
import type { PredictionModelKind } from './schemas/predictions';

/**
 * A new model became active (published on `<ns>.evt.prediction.model_updated`, stream
 * `<NS>_PREDICTION`). Metadata only: cache nodes pull the bytes with the `model` request.
 */
export type PredictionModelUpdatedV1 = Envelope<
  'prediction.model_updated',
  1,
  {
    readonly modelVersion: string;
    readonly kind: PredictionModelKind;
    readonly createdAt: string;
    readonly totalBytes: number;
    readonly sha256: string;
    /** Held-out evaluation that decided the kind (hit rates, NLL, training time). */
    readonly metrics: Readonly<Record<string, unknown>>;
  }
>;

export type PredictionEvent = PredictionModelUpdatedV1;
export type PredictionEventType = PredictionEvent['type'];
export const PREDICTION_EVENT_TYPES: readonly PredictionEventType[] = ['prediction.model_updated'];
