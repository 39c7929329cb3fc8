import type { ForesightConfig } from '@foresight/config';
import { ErrorCodes, ForesightError, predictionSubjects, type ModelChunk, type PredictionModelUpdatedV1 } from '@foresight/contracts';
import { callRpc, decode } from '@foresight/messaging';
import { counter, type Logger } from '@foresight/observability';
import { PredictionError, type LoadHotPathOptions } from '@foresight/prediction-core';
import { sleep } from '@foresight/time';
import type { NatsConnection, Subscription } from 'nats';
import { createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { CacheNodeService } from './cache-node.service';
import { ModelInstaller } from './model-installer';

export interface ModelFollowerDeps {
  readonly cache: Pick<CacheNodeService, 'modelVersion' | 'setModel'>;
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Loads the RNN part (injected so tests can fail it; default: TensorFlow.js, wasm backend). */
  readonly loadRnn?: LoadHotPathOptions['loadRnn'];
}

/**
 * Keeps a local copy of the prediction service's active model on the hot path (no round trip per
 * prediction): fetches the bundle at start, on every `prediction.model_updated` event (core
 * subscription to the stream's subject) and every `CACHE_MODEL_POLL_MS`, builds exactly the model
 * the service chose (Markov, + session-kNN, + the RNN, with the mixture's weights; per-user blends
 * learned here) and hot-swaps the cache's predictor. A chosen part that is absent or fails to load
 * leaves the node on Markov alone (logged once per model, counted); TensorFlow.js is loaded only
 * when a bundle's choice includes the RNN. A corrupt or incompatible bundle is logged and the
 * previous model (or none) kept.
 */
export class ModelFollowerService {
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly loads;
  private readonly installer: ModelInstaller;
  private readonly cache: ModelFollowerDeps['cache'];
  private readonly nc: NatsConnection;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;

  constructor({ cache, nc, config, logger, metrics: registry, loadRnn }: ModelFollowerDeps) {
    this.cache = cache;
    this.installer = new ModelInstaller({ cache, logger, metrics: registry, loadRnn });
    this.nc = nc;
    this.config = config;
    this.logger = logger;
    this.loads = counter(registry, 'foresight_cache_model_loads_total', 'Model bundles fetched by this cache node, by outcome', ['outcome']);
  }

  start(): void {
    if (!this.config.cache.prefetch) return;
    const subject = predictionSubjects(this.config.nats.namespace).predictionEvent('prediction.model_updated');
    this.sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        let version: string | undefined;
        try {
          version = decode<PredictionModelUpdatedV1>(msg.data).data.modelVersion;
        } catch {
          version = undefined;
        }
        if (typeof version !== 'string') {
          this.logger.warn({ subject }, 'ignored a malformed model_updated event');
          return;
        }
        if (version !== this.cache.modelVersion) void this.refresh(version);
      },
    });
    void this.refresh();
    const poll = () => {
      this.timer = setTimeout(() => void this.refresh().finally(() => !this.stopped && poll()), this.config.cache.modelPollMs);
      this.timer.unref();
    };
    poll();
  }

  stop(): void {
    this.stopped = true;
    this.sub?.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * Fetches the active model unless it is the one in use. With `expected`, retries a few times
   * until the service serves that version (the event can arrive before the service swapped).
   */
  refresh(expected?: string): Promise<void> {
    const run = (this.running ?? Promise.resolve()).then(async () => {
      for (let attempt = 0; attempt < (expected ? 10 : 1) && !this.stopped; attempt++) {
        const got = await this.fetchOnce();
        if (expected === undefined || got === expected) return;
        await sleep(300);
      }
    });
    this.running = run.catch(() => undefined);
    return this.running;
  }

  private async fetchOnce(): Promise<string | undefined> {
    const subject = predictionSubjects(this.config.nats.namespace).predictionRpc('model');
    const ask = (request: { modelVersion?: string; chunk: number }) =>
      callRpc<ModelChunk>(this.nc, subject, 'model', request, { timeoutMs: this.config.nats.requestTimeoutMs });
    let first: ModelChunk;
    try {
      first = await ask({ chunk: 0 });
    } catch (error) {
      const code = error instanceof ForesightError ? error.code : undefined;
      if (code === ErrorCodes.PREDICTION_MODEL_NOT_FOUND || code === ErrorCodes.UNAVAILABLE || code === ErrorCodes.TIMEOUT) {
        this.logger.debug({ code }, 'no stored model to load yet');
        return undefined;
      }
      this.logger.warn({ err: error }, 'could not fetch the model');
      return undefined;
    }
    if (first.modelVersion === this.cache.modelVersion) return first.modelVersion;
    try {
      const parts = [first.data];
      for (let i = 1; i < first.chunks; i++) parts.push((await ask({ modelVersion: first.modelVersion, chunk: i })).data);
      const bytes = Buffer.concat(parts);
      if (bytes.length !== first.totalBytes || createHash('sha256').update(bytes).digest('hex') !== first.sha256) {
        throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Model bytes do not match their announced size and SHA-256.');
      }
      const version = first.modelVersion;
      if ((await this.installer.install(version, bytes, () => !this.stopped)) === null) return undefined;
      this.loads.inc({ outcome: 'loaded' });
      return version;
    } catch (error) {
      this.loads.inc({ outcome: 'refused' });
      this.logger.warn(
        {
          version: first.modelVersion,
          code: error instanceof PredictionError || error instanceof ForesightError ? error.code : 'PREDICTION.ARTIFACT_CORRUPT',
          reason: error instanceof Error ? error.message : String(error),
          keeping: this.cache.modelVersion,
        },
        'refused a model bundle; keeping the current model',
      );
      return undefined;
    }
  }
}
