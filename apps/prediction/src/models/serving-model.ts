import type { PredictionModelKind, PredictionModelName } from '@foresight/contracts';
import type { KnnCalibration, MixtureWeights, RnnModel } from '@foresight/prediction-core';

/** The stored model behind a {@link ServingModel}, kept for cache nodes that pull it. */
export interface StoredModelInfo {
  readonly version: number;
  readonly createdAt: string;
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly vocabulary: readonly string[];
}

/**
 * What answers predictions right now. Replaced as a whole on a hot swap (one assignment), so a
 * request that captured it keeps a consistent model to the end.
 */
export interface ServingModel {
  /** `v<n>` for stored model n, `markov-live` before any model was stored. */
  readonly version: string;
  readonly kind: PredictionModelKind;
  /** What answers: `markov`, or the ensemble's components (as chosen on held-out sessions). */
  readonly name: PredictionModelName;
  /** The recurrent part of an ensemble that has one (the Markov and kNN parts are the live online models). */
  readonly rnn: RnnModel | null;
  /** The ensemble's weights (null: Markov alone). */
  readonly mixture: MixtureWeights | null;
  /** How the live kNN index's votes become probabilities, when the mixture has a kNN part. */
  readonly knn: KnnCalibration | null;
  readonly stored: StoredModelInfo | null;
}

/** Serving before any model is stored: the online Markov model alone. */
export const LIVE_MARKOV: ServingModel = { version: 'markov-live', kind: 'markov', name: 'markov', rnn: null, mixture: null, knn: null, stored: null };

/** Wire version string of a stored model. */
export function versionName(version: number): string {
  return `v${version}`;
}

/** Stored version number of a wire version string, if it names one. */
export function parseVersionName(name: string): number | undefined {
  const m = /^v([1-9][0-9]{0,15})$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The answer's model name for a mixture (null: Markov alone). */
export function modelNameOf(mixture: Pick<MixtureWeights, 'components'> | null): PredictionModelName {
  return (mixture === null ? 'markov' : mixture.components.join('+')) as PredictionModelName;
}
