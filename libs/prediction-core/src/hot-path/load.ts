import { decodeBundle, type ModelBundle } from '../bundle';
import type { BatchScorer } from '../ensemble/component-rows';
import { PredictionError } from '../errors';
import { SessionKnnPredictor } from '../knn/knn-predictor';
import { decodeKnn } from '../knn/knn-snapshot';
import { decodeMarkov } from '../markov/snapshot';
import type { VariableOrderMarkov } from '../markov/variable-order-markov';
import { loadRnnArtifact } from '../rnn/artifact';
import { Vocabulary } from '../vocabulary';
import { HotPathPredictor } from './hot-path-predictor';
import { RnnRowCache, type AsyncRowScorer, type RnnRowCacheOptions } from './rnn-rows';
import { rowWorkerPath, WorkerRnn } from './worker-rnn';

/** An RNN as the hot path needs it: batched scoring (here or in a worker), its window, and a way to release it. */
export type LoadedRnn = (BatchScorer | AsyncRowScorer) & {
  readonly window: number;
  dispose(): void;
};

/** Why a part the service chose is not served. */
export interface PartFallback {
  readonly part: 'knn' | 'rnn';
  readonly reason: 'missing' | 'load_failed';
  readonly message: string;
}

/** Options of {@link loadHotPathModel}. */
export interface LoadHotPathOptions {
  /**
   * Loads the RNN (default: in a worker thread when the project is built, so passes never hold
   * the event loop; else in this thread; TensorFlow.js with its wasm backend either way).
   */
  readonly loadRnn?: (bytes: Uint8Array) => Promise<LoadedRnn>;
  /** Settings of the RNN row cache (window comes from the RNN). */
  readonly rnnRows?: Omit<RnnRowCacheOptions, 'window'>;
  readonly maxUsers?: number;
}

/** A bundle ready for the hot path. */
export interface HotPathModel {
  readonly bundle: ModelBundle;
  readonly vocabulary: Vocabulary;
  readonly predictor: HotPathPredictor;
  /** What the service chose (`markov`, `markov+knn`, …); `predictor.name` is what is served. */
  readonly chosen: string;
  /** Parts of the choice that could not be served (then the node serves Markov alone). */
  readonly fallbacks: readonly PartFallback[];
  readonly rnn: LoadedRnn | null;
  /** Releases the RNN (call once no plan uses this model any more). */
  dispose(): void;
}

async function defaultLoadRnn(bytes: Uint8Array): Promise<LoadedRnn> {
  const worker = rowWorkerPath();
  if (worker !== undefined) return WorkerRnn.load(bytes, worker);
  const model = await loadRnnArtifact(bytes);
  return Object.assign(model, { window: model.config.historyLength });
}

/**
 * Builds the chosen model of a bundle for a cache node: Markov always (a bundle whose Markov part
 * or vocabulary is bad is refused: it throws); kNN and the RNN when the mixture names them. If
 * one of those is absent or fails to load, the node serves Markov alone and says why in
 * `fallbacks` — the mixture's weights were fitted for the parts together, not for a subset.
 */
export async function loadHotPathModel(bytes: Uint8Array, options: LoadHotPathOptions = {}): Promise<HotPathModel> {
  const bundle = decodeBundle(bytes, { allowMissingParts: true });
  const markov: VariableOrderMarkov = decodeMarkov(bundle.markov);
  const vocabulary = Vocabulary.fromJSON(bundle.vocabulary);
  if (markov.vocabularySize > vocabulary.size) {
    throw new PredictionError(
      'PREDICTION.ARTIFACT_INCOMPATIBLE',
      `Markov model knows ${markov.vocabularySize} actions but the vocabulary names ${vocabulary.size}.`,
    );
  }
  markov.growVocabulary(vocabulary.size);
  const mixture = bundle.mixture;
  const uses = (c: 'knn' | 'rnn'): boolean => mixture?.components.includes(c) ?? false;
  const fallbacks: PartFallback[] = [];
  const failed = (part: PartFallback['part'], reason: PartFallback['reason'], error: unknown): void => {
    fallbacks.push({ part, reason, message: error instanceof Error ? error.message : String(error) });
  };
  let knn: SessionKnnPredictor | null = null;
  if (uses('knn')) {
    if (bundle.knn === null) failed('knn', 'missing', 'the bundle has no kNN snapshot');
    else {
      try {
        const { index, calibration } = decodeKnn(bundle.knn);
        knn = new SessionKnnPredictor(index, markov, calibration);
      } catch (error) {
        failed('knn', 'load_failed', error);
      }
    }
  }
  let rnn: LoadedRnn | null = null;
  if (uses('rnn') && fallbacks.length === 0) {
    if (bundle.rnn === null) failed('rnn', 'missing', 'the bundle has no RNN artifact');
    else {
      try {
        rnn = await (options.loadRnn ?? defaultLoadRnn)(bundle.rnn);
        if (rnn.vocabularySize > vocabulary.size) {
          throw new PredictionError('PREDICTION.ARTIFACT_INCOMPATIBLE', `RNN predicts ${rnn.vocabularySize} actions but the bundle names ${vocabulary.size}.`);
        }
      } catch (error) {
        rnn?.dispose();
        rnn = null;
        failed('rnn', 'load_failed', error);
      }
    }
  }
  const whole = fallbacks.length === 0;
  if (!whole && rnn !== null) {
    rnn.dispose();
    rnn = null;
  }
  const predictor = new HotPathPredictor({
    markov,
    mixture: whole ? mixture : null,
    knn: whole ? knn : null,
    rnn: rnn ? new RnnRowCache(rnn, { ...options.rnnRows, window: rnn.window }) : null,
    maxUsers: options.maxUsers,
  });
  return {
    bundle,
    vocabulary,
    predictor,
    chosen: mixture ? mixture.components.join('+') : 'markov',
    fallbacks,
    rnn,
    dispose: () => rnn?.dispose(),
  };
}
