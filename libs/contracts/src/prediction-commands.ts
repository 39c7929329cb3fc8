import { ModelChunk, ModelChunkCommand, PredictCommand, PredictionResult, type PredictionModelKind } from './schemas/predictions';
import type { CommandTypes } from './shard-commands';

/** Largest model chunk in a `model` reply (the NATS default max_payload is 1 MiB). */
export const MODEL_CHUNK_BYTES = 512 * 1024;

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
export const PredictionCommandSchemas = {
  /** The `n` most likely next actions of a session (1..MAX_PREDICTIONS). */
  predict: { request: PredictCommand, reply: PredictionResult },
  /** A chunk of the active stored model, for cache nodes that predict locally. */
  model: { request: ModelChunkCommand, reply: ModelChunk },
} as const;

export type PredictionCommands = CommandTypes<typeof PredictionCommandSchemas>;
