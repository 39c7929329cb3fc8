import { Packr } from 'msgpackr';
import type { MixingWeights } from './ensemble/mixing';
import { PredictionError } from './errors';
import { Vocabulary, type VocabularySnapshot } from './vocabulary';

const FORMAT = 'foresight.prediction-model';

/** Which model a bundle holds: the Markov snapshot alone, or Markov + RNN mixed by weights. */
export type ModelBundleKind = 'markov' | 'ensemble';

/**
 * Wire form (MessagePack map) of a stored model; the same shape as `PredictionModelBundleV1` in
 * `@foresight/contracts`, restated here so this library stays free of the contracts package.
 */
interface WireBundleV1 {
  readonly format: typeof FORMAT;
  readonly version: 1;
  readonly kind: ModelBundleKind;
  readonly vocabulary: VocabularySnapshot;
  readonly markov: Uint8Array;
  readonly rnn: Uint8Array | null;
  readonly weights: MixingWeights | null;
}
const VERSION = 1;
const packr = new Packr({ useRecords: false, moreTypes: false });

/** A decoded, shape-checked model bundle (the `PredictionModelBundleV1` of `@foresight/contracts`); the prediction service stores it, cache nodes load it. */
export interface ModelBundle {
  readonly kind: ModelBundleKind;
  readonly vocabulary: VocabularySnapshot;
  readonly markov: Uint8Array;
  readonly rnn: Uint8Array | null;
  readonly weights: MixingWeights | null;
}

/** Serialises a bundle (MessagePack, plain maps so any implementation can read it). */
export function encodeBundle(bundle: ModelBundle): Buffer {
  const wire: WireBundleV1 = { format: FORMAT, version: VERSION, ...bundle };
  return Buffer.from(packr.pack(wire));
}

/**
 * Decodes and checks a bundle's shape. Throws `PREDICTION.ARTIFACT_CORRUPT` for bytes that are
 * not a bundle, `PREDICTION.ARTIFACT_INCOMPATIBLE` for another format version. The inner
 * artifacts are checked by whoever loads them.
 */
export function decodeBundle(bytes: Uint8Array): ModelBundle {
  let wire: Partial<WireBundleV1> | null;
  try {
    wire = packr.unpack(bytes) as Partial<WireBundleV1> | null;
  } catch (cause) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Stored model is not valid MessagePack.', { cause });
  }
  if (wire === null || typeof wire !== 'object' || wire.format !== FORMAT) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Bytes are not a Foresight prediction model bundle.');
  }
  if (wire.version !== VERSION) {
    throw new PredictionError('PREDICTION.ARTIFACT_INCOMPATIBLE', `Model bundle version ${String(wire.version)} is not supported (expected ${VERSION}).`);
  }
  const { kind, markov, rnn, weights } = wire;
  if ((kind !== 'markov' && kind !== 'ensemble') || !(markov instanceof Uint8Array)) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Model bundle has no valid kind or Markov snapshot.');
  }
  const vocabulary = Vocabulary.fromJSON(wire.vocabulary).toJSON();
  if (kind === 'ensemble' && (!(rnn instanceof Uint8Array) || !validWeights(weights))) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Ensemble bundle lacks its RNN artifact or valid mixing weights.');
  }
  return {
    kind,
    vocabulary,
    markov,
    rnn: kind === 'ensemble' ? (rnn as Uint8Array) : null,
    weights: kind === 'ensemble' ? (weights as MixingWeights) : null,
  };
}

function validWeights(w: unknown): w is MixingWeights {
  const m = w as Partial<MixingWeights> | null;
  return (
    m !== null &&
    typeof m === 'object' &&
    m.version === 1 &&
    Number.isInteger(m.lengthBuckets) &&
    Number.isInteger(m.evidenceBuckets) &&
    m.lengthBuckets! >= 1 &&
    m.evidenceBuckets! >= 1 &&
    Array.isArray(m.markovWeight) &&
    m.markovWeight.length === m.lengthBuckets! * m.evidenceBuckets! &&
    m.markovWeight.every((x) => typeof x === 'number' && x >= 0 && x <= 1)
  );
}

/**
 * Checks that a stored vocabulary and the live one agree on every index both have (one is a
 * prefix of the other). Throws `PREDICTION.ARTIFACT_INCOMPATIBLE` otherwise.
 */
export function checkVocabularyPrefix(stored: readonly string[], live: Vocabulary): void {
  const n = Math.min(stored.length, live.size);
  for (let i = 0; i < n; i++) {
    if (stored[i] !== live.decode(i)) {
      throw new PredictionError(
        'PREDICTION.ARTIFACT_INCOMPATIBLE',
        `Model vocabulary differs from the live one at index ${i} ("${stored[i]}" vs "${live.decode(i)}"); it was trained by an instance that numbered actions differently.`,
      );
    }
  }
}
