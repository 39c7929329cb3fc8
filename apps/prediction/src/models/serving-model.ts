import type { PredictionModelKind } from '@foresight/contracts';
import type { MixingWeights, RnnModel } from '@foresight/prediction-core';

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
  /** The recurrent part of an ensemble (the Markov part is always the live online model). */
  readonly rnn: RnnModel | null;
  readonly weights: MixingWeights | null;
  readonly stored: StoredModelInfo | null;
}

/** Serving before any model is stored: the online Markov model alone. */
export const LIVE_MARKOV: ServingModel = { version: 'markov-live', kind: 'markov', rnn: null, weights: null, stored: null };

/** Wire version string of a stored model. */
export function versionName(version: number): string {
  return `v${version}`;
}

/** Stored version number of a wire version string, if it names one. */
export function parseVersionName(name: string): number | undefined {
  const m = /^v([1-9][0-9]{0,15})$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
