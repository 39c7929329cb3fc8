import { Type, type Static } from '@sinclair/typebox';
import { SessionIdString } from './fields';

/** Most predictions one request may ask for (`n` is 1..MAX_PREDICTIONS). */
export const MAX_PREDICTIONS = 50;
/** Default `n` when a caller does not say. */
export const DEFAULT_PREDICTIONS = 5;

/** `n` of a prediction request, on the bus and in `?n=`. */
export const PredictionCount = Type.Integer({
  minimum: 1,
  maximum: MAX_PREDICTIONS,
  description: `How many predictions, 1–${MAX_PREDICTIONS} (default ${DEFAULT_PREDICTIONS})`,
});

// ---- Prediction service commands (NATS) ----

export const PredictCommand = Type.Object({ sessionId: SessionIdString, n: Type.Optional(PredictionCount) });
export const ModelChunkCommand = Type.Object({
  modelVersion: Type.Optional(Type.String({ maxLength: 32, description: 'A version such as "v3"' })),
  chunk: Type.Optional(Type.Integer({ minimum: 0 })),
});

// ---- Replies ----

/** Which kind of model is stored: the Markov model alone, or a mixture (an ensemble). */
export const PredictionModelKindSchema = Type.Union([Type.Literal('markov'), Type.Literal('ensemble')]);

/**
 * Which model produced an answer: the Markov model alone, or the ensemble's components joined by
 * `+` (session-kNN, the recurrent network), as chosen on held-out sessions by the last training round.
 */
export const PredictionModelNameSchema = Type.Union(
  [Type.Literal('markov'), Type.Literal('markov+knn'), Type.Literal('markov+rnn'), Type.Literal('markov+knn+rnn')],
  { description: 'The model that answered: Markov alone or the ensemble chosen on held-out sessions' },
);

export const PredictedAction = Type.Object({
  action: Type.String(),
  p: Type.Number({ minimum: 0, maximum: 1, description: "Calibrated probability of this action being the session's next one" }),
});

export const PredictionResult = Type.Object({
  sessionId: Type.String(),
  modelVersion: Type.String({ description: 'v<n> for the stored model row n that is active, or markov-live while no model has been stored' }),
  model: PredictionModelNameSchema,
  historyLength: Type.Integer({ minimum: 0, description: "Number of the session's recorded actions the prediction conditioned on (0 = cold start)" }),
  predictions: Type.Array(PredictedAction),
});

/**
 * One chunk of the active model as stored (a PredictionModelBundleV2, or an older
 * PredictionModelBundleV1, in MessagePack). Fetch chunk 0 (no version), then chunks 1..chunks-1 of
 * that version; check `sha256` over the concatenation.
 */
export const ModelChunk = Type.Object({
  modelVersion: Type.String(),
  kind: PredictionModelKindSchema,
  createdAt: Type.String(),
  /** Action names by index; index 0 is the catch-all `<unk>`. */
  vocabulary: Type.Array(Type.String()),
  metrics: Type.Record(Type.String(), Type.Unknown()),
  totalBytes: Type.Integer(),
  sha256: Type.String(),
  chunk: Type.Integer(),
  chunks: Type.Integer(),
  data: Type.Uint8Array(),
});

export type PredictionModelKind = Static<typeof PredictionModelKindSchema>;
export type PredictionModelName = Static<typeof PredictionModelNameSchema>;
export type PredictedAction = Static<typeof PredictedAction>;
export type PredictionResult = Static<typeof PredictionResult>;
export type ModelChunk = Static<typeof ModelChunk>;
