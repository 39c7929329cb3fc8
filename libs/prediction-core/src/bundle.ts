import { Packr } from 'msgpackr';
import { checkMixtureWeights, fromMixingWeights, type MixtureWeights } from './ensemble/mixture';
import type { MixingWeights } from './ensemble/mixing';
import { PredictionError } from './errors';
import { Vocabulary, type VocabularySnapshot } from './vocabulary';

const FORMAT = 'foresight.prediction-model';

/** Which model a bundle holds: the Markov snapshot alone, or a mixture of Markov with kNN and/or the RNN. */
export type ModelBundleKind = 'markov' | 'ensemble';

/**
 * Wire forms (MessagePack maps) of a stored model; the same shapes as `PredictionModelBundleV1`
 * and `PredictionModelBundleV2` in `@foresight/contracts`, restated here so this library stays
 * free of the contracts package. Version 1 held Markov + RNN; version 2 adds the kNN snapshot
 * and N-component mixture weights. New bundles are version 2; version 1 still decodes.
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

interface WireBundleV2 {
  readonly format: typeof FORMAT;
  readonly version: 2;
  readonly kind: ModelBundleKind;
  readonly vocabulary: VocabularySnapshot;
  readonly markov: Uint8Array;
  readonly knn: Uint8Array | null;
  readonly rnn: Uint8Array | null;
  readonly mixture: MixtureWeights | null;
}
const VERSION = 2;
const packr = new Packr({ useRecords: false, moreTypes: false });

/**
 * A decoded, shape-checked model bundle; the prediction service stores it, cache nodes load it.
 * `mixture` names the ensemble's components; `knn` (an `encodeKnn` snapshot) and `rnn` (an RNN
 * artifact) are present exactly when the mixture uses them.
 */
export interface ModelBundle {
  readonly kind: ModelBundleKind;
  readonly vocabulary: VocabularySnapshot;
  readonly markov: Uint8Array;
  readonly knn: Uint8Array | null;
  readonly rnn: Uint8Array | null;
  readonly mixture: MixtureWeights | null;
}

/** Serialises a bundle (MessagePack, plain maps so any implementation can read it). */
export function encodeBundle(bundle: ModelBundle): Buffer {
  const wire: WireBundleV2 = { format: FORMAT, version: VERSION, ...bundle };
  return Buffer.from(packr.pack(wire));
}

/**
 * Decodes and checks a bundle's shape (version 2, or version 1 whose Markov + RNN weights become
 * a two-component mixture). Throws `PREDICTION.ARTIFACT_CORRUPT` for bytes that are not a
 * bundle, `PREDICTION.ARTIFACT_INCOMPATIBLE` for another format version. The inner artifacts
 * are checked by whoever loads them. With `allowMissingParts`, an ensemble whose kNN or RNN
 * bytes are absent decodes with that part null (a cache node then falls back to Markov).
 */
export function decodeBundle(bytes: Uint8Array, options: { readonly allowMissingParts?: boolean } = {}): ModelBundle {
  let wire: (Partial<Omit<WireBundleV1, 'version'>> & Partial<Omit<WireBundleV2, 'version'>> & { version?: unknown }) | null;
  try {
    wire = packr.unpack(bytes) as typeof wire;
  } catch (cause) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Stored model is not valid MessagePack.', { cause });
  }
  if (wire === null || typeof wire !== 'object' || wire.format !== FORMAT) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Bytes are not a Foresight prediction model bundle.');
  }
  if (wire.version !== 1 && wire.version !== VERSION) {
    throw new PredictionError('PREDICTION.ARTIFACT_INCOMPATIBLE', `Model bundle version ${String(wire.version)} is not supported (expected 1 or ${VERSION}).`);
  }
  const { kind, markov, rnn } = wire;
  if ((kind !== 'markov' && kind !== 'ensemble') || !(markov instanceof Uint8Array)) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Model bundle has no valid kind or Markov snapshot.');
  }
  const vocabulary = Vocabulary.fromJSON(wire.vocabulary).toJSON();
  if (kind === 'markov') return { kind, vocabulary, markov, knn: null, rnn: null, mixture: null };
  let mixture: MixtureWeights;
  let knn: unknown = null;
  if (wire.version === 1) {
    const w = wire.weights;
    if (!validWeights(w)) throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Ensemble bundle lacks valid mixing weights.');
    mixture = fromMixingWeights(w);
  } else {
    mixture = checkMixtureWeights(wire.mixture);
    knn = wire.knn ?? null;
  }
  const uses = (c: 'knn' | 'rnn'): boolean => mixture.components.includes(c);
  const lacks = (uses('rnn') && !(rnn instanceof Uint8Array)) || (uses('knn') && !(knn instanceof Uint8Array));
  if ((lacks && !options.allowMissingParts) || mixture.components[0] !== 'markov') {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', `Ensemble bundle (${mixture.components.join('+')}) lacks the parts its mixture names.`);
  }
  return {
    kind,
    vocabulary,
    markov,
    knn: uses('knn') && knn instanceof Uint8Array ? knn : null,
    rnn: uses('rnn') && rnn instanceof Uint8Array ? rnn : null,
    mixture,
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
