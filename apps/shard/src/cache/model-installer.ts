import { counter, gauge, histogram, type Logger } from '@foresight/observability';
import { loadHotPathModel, type HotPathModel, type LoadHotPathOptions } from '@foresight/prediction-core';
import type { Registry } from 'prom-client';
import type { CacheNodeService } from './cache-node.service';
import { BundleNodeModel } from './node-model';

/** History handed to the model: the session's retained actions (a Markov model uses its last K). */
const MODEL_HISTORY = 16;
/** A replaced model's RNN is released after this long, so plans and batches holding it finish first. */
const DISPOSE_AFTER_MS = 10_000;
/** Model names the served-model gauge knows. */
const MODEL_NAMES = ['markov', 'markov+knn', 'markov+rnn', 'markov+knn+rnn'] as const;

export interface ModelInstallerDeps {
  readonly cache: Pick<CacheNodeService, 'setModel'>;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Loads the RNN part (injected so tests can fail it; default: TensorFlow.js, wasm backend). */
  readonly loadRnn?: LoadHotPathOptions['loadRnn'];
}

/**
 * Builds the model a bundle's choice names and installs it on the cache: the fallbacks to Markov
 * are logged (once per model) and counted, the served model is a gauge, and an RNN that fails at
 * inference is reported once and planning goes on without it.
 */
export class ModelInstaller {
  private readonly served;
  private readonly fallbacks;
  private readonly rnnBatch;
  private active: HotPathModel | null = null;

  constructor(private readonly deps: ModelInstallerDeps) {
    const registry = deps.metrics;
    this.served = gauge(registry, 'foresight_cache_model_served', 'The model this cache node predicts with (1 for the one in use)', ['model']);
    this.fallbacks = counter(
      registry,
      'foresight_cache_model_fallbacks_total',
      "Times a part of the service's chosen model could not be served here, by part and reason",
      ['part', 'reason'],
    );
    this.rnnBatch = histogram(
      registry,
      'foresight_cache_rnn_batch_seconds',
      'Batched RNN forward passes off the planning path',
      [],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    );
  }

  /** The model in use, if any. */
  get current(): HotPathModel | null {
    return this.active;
  }

  /**
   * Loads `bytes` and makes it the cache's model (throws, keeping the current one, when the bundle
   * or its Markov part is bad). `stillWanted` is asked after the load (the node may be stopping).
   */
  async install(version: string, bytes: Uint8Array, stillWanted: () => boolean = () => true): Promise<HotPathModel | null> {
    const { logger } = this.deps;
    let model: HotPathModel | null = null;
    model = await loadHotPathModel(bytes, {
      loadRnn: this.deps.loadRnn,
      rnnRows: {
        onBatch: (_size, ms) => this.rnnBatch.observe(ms / 1000),
        onError: (error) => {
          this.fallbacks.inc({ part: 'rnn', reason: 'inference_failed' });
          logger.warn(
            { version, reason: error instanceof Error ? error.message : String(error), serving: model?.predictor.serving },
            'the RNN failed at inference; planning without it for this model',
          );
          if (model !== null && this.active === model) this.setServed(model.predictor.serving);
        },
      },
    });
    if (!stillWanted()) {
      model.dispose();
      return null;
    }
    for (const f of model.fallbacks) {
      this.fallbacks.inc({ part: f.part, reason: f.reason });
      logger.warn(
        { version, chosen: model.chosen, part: f.part, reason: f.reason, detail: f.message },
        'serving Markov alone: a part of the chosen model is not available',
      );
    }
    const previous = this.active;
    this.active = model;
    this.deps.cache.setModel(version, new BundleNodeModel(model, MODEL_HISTORY));
    if (previous !== null) setTimeout(() => previous.dispose(), DISPOSE_AFTER_MS).unref();
    this.setServed(model.predictor.serving);
    logger.info(
      { version, kind: model.bundle.kind, chosen: model.chosen, serving: model.predictor.serving, actions: model.vocabulary.size },
      'loaded a new model for prefetching',
    );
    return model;
  }

  private setServed(name: string): void {
    for (const m of new Set<string>([...MODEL_NAMES, name])) this.served.set({ model: m }, m === name ? 1 : 0);
  }
}
