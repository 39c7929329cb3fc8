/** Most predictions one request may ask for (`n` is 1..MAX_PREDICTIONS). */
export const MAX_PREDICTIONS = 50;
/** Default `n` when a caller does not say. */
export const DEFAULT_PREDICTIONS = 5;
/** Largest model chunk in a `model` reply (the NATS default max_payload is 1 MiB). */
export const MODEL_CHUNK_BYTES = 512 * 1024;

/** One predicted next action, most likely first. */
export interface PredictedAction {
  readonly action: string;
  /** Calibrated probability of this action being the session's next one. */
  readonly p: number;
}

/** Which kind of model is stored: the Markov model alone, or a mixture (an ensemble). */
export type PredictionModelKind = 'markov' | 'ensemble';

/**
 * Which model produced an answer: the Markov model alone, or the ensemble's components joined by
 * `+` (session-kNN, the recurrent network), as chosen on held-out sessions by the last training round.
 */
export type PredictionModelName = 'markov' | 'markov+knn' | 'markov+rnn' | 'markov+knn+rnn';

/** Answer to `predict`. */
export interface PredictionResult {
  readonly sessionId: string;
  /**
   * The model version: `v<n>` for the stored model row n that is active (its Markov part keeps
   * learning online), or `markov-live` while no model has been stored yet.
   */
  readonly modelVersion: string;
  readonly model: PredictionModelName;
  /** Number of the session's recorded actions the prediction conditioned on (0 = cold start). */
  readonly historyLength: number;
  readonly predictions: readonly PredictedAction[];
}

/**
 * One chunk of the active model as stored (a {@link PredictionModelBundleV2}, or an older
 * {@link PredictionModelBundleV1}, in MessagePack).
 * Fetch chunk 0 (no version), then chunks 1..chunks-1 of that version; check `sha256` over the
 * concatenation. `PREDICTION.MODEL_NOT_FOUND` means no model is stored yet, or the version asked
 * for is no longer the one served: start again from chunk 0.
 */
export interface ModelChunk {
  readonly modelVersion: string;
  readonly kind: PredictionModelKind;
  readonly createdAt: string;
  /** Action names by index; index 0 is the catch-all `<unk>`. */
  readonly vocabulary: readonly string[];
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly totalBytes: number;
  readonly sha256: string;
  readonly chunk: number;
  readonly chunks: number;
  readonly data: Uint8Array;
}

/**
 * First wire form of a stored model (still decoded): MessagePack of this map. `markov` is a
 * `@foresight/prediction-core` `encodeMarkov` snapshot of the global model when the model was
 * stored; `rnn` a `saveRnnArtifact` artifact and `weights` the ensemble's `MixingWeights` when
 * `kind` is `ensemble`. Indices refer to `vocabulary.actions`.
 */
export interface PredictionModelBundleV1 {
  readonly format: 'foresight.prediction-model';
  readonly version: 1;
  readonly kind: PredictionModelKind;
  readonly vocabulary: { readonly version: 1; readonly maxSize: number; readonly actions: readonly string[] };
  readonly markov: Uint8Array;
  readonly rnn: Uint8Array | null;
  readonly weights: { readonly version: 1; readonly lengthBuckets: number; readonly evidenceBuckets: number; readonly markovWeight: readonly number[] } | null;
}

/**
 * Wire form of a stored model written today (the `artifact` column and the bytes of `model`):
 * MessagePack of this map. `markov` as in version 1; `mixture` the ensemble's `MixtureWeights`
 * (components, per-bucket weights, repeat factors) when `kind` is `ensemble`, with `knn` an
 * `encodeKnn` session-kNN snapshot and `rnn` an RNN artifact exactly when its components name them.
 */
export interface PredictionModelBundleV2 {
  readonly format: 'foresight.prediction-model';
  readonly version: 2;
  readonly kind: PredictionModelKind;
  readonly vocabulary: { readonly version: 1; readonly maxSize: number; readonly actions: readonly string[] };
  readonly markov: Uint8Array;
  readonly knn: Uint8Array | null;
  readonly rnn: Uint8Array | null;
  readonly mixture: {
    readonly version: 2;
    readonly components: readonly ('markov' | 'knn' | 'rnn')[];
    readonly lengthBuckets: number;
    readonly evidenceBuckets: number;
    readonly weights: readonly number[];
    readonly repeat: readonly number[];
  } | null;
}

/**
 * Requests to the prediction service on `<ns>.rpc.prediction.<op>`; any instance answers
 * (queue group `prediction`).
 */
export interface PredictionCommands {
  /** The `n` most likely next actions of a session (1..{@link MAX_PREDICTIONS}). */
  predict: { readonly request: { readonly sessionId: string; readonly n?: number }; readonly reply: PredictionResult };
  /** A chunk of the active stored model, for cache nodes that predict locally. */
  model: { readonly request: { readonly modelVersion?: string; readonly chunk?: number }; readonly reply: ModelChunk };
}
