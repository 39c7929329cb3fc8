import type { ForesightConfig } from '@foresight/config';
import { streamDeclarations } from '@foresight/contracts';
import { useStream, type ConsumerState } from '@foresight/messaging';
import { shardOf } from '@foresight/hashing';
import { counter, gauge, histogram } from '@foresight/observability';
import { AdvisoryLeadership, asServiceError, openStorePartitions, type StorePartitions } from '@foresight/persistence';
import { ForesightRpcTransport } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { ActionConsumer } from './learning/action.consumer';
import { ActionsRepository } from './learning/actions.repository';
import { OnlineModel } from './learning/online-model';
import { rebuildFromStore, type Log, type RebuildResult } from './learning/rebuild';
import { ModelRegistry } from './models/model-registry';
import { ModelsRepository } from './models/models.repository';
import { parseVersionName } from './models/serving-model';
import { predictionEndpoints } from './serving/prediction.rpc';
import { Predictor } from './serving/predictor';
import { RnnBatcher } from './serving/rnn-batcher';
import { RetrainScheduler } from './training/retrain.scheduler';
import { Trainer } from './training/trainer';
import { trainWorkerPath } from './training/worker-path';

export interface PredictionRuntimeDeps {
  readonly config: ForesightConfig;
  readonly pool: Pool;
  readonly nc: NatsConnection;
  readonly logger: Log;
  readonly clock: Clock;
  readonly metrics: Registry;
  /** Compiled training-worker entry; found in dist/ by default. */
  readonly workerPath?: string;
}

/**
 * The prediction service without Nest: online model, consumer, stored models, serving, and
 * retraining, started in a safe order. Used by the Nest lifecycle and by the integration tests.
 */
export class PredictionRuntime {
  readonly model: OnlineModel;
  readonly actions: ActionsRepository;
  readonly models: ModelsRepository;
  readonly registry: ModelRegistry;
  readonly predictor: Predictor;
  readonly trainer: Trainer;
  /** `predict` and `model` over NATS; the handlers are PredictionRpcController's. */
  readonly rpc: ForesightRpcTransport;
  private readonly scheduler: RetrainScheduler;
  private readonly training: AdvisoryLeadership;
  private consumer: ActionConsumer | null = null;
  /** The event store's partitions: learning reads the actions of every one. */
  private readonly storePartitions: StorePartitions;
  rebuilt: RebuildResult | null = null;
  /** Recorded actions consumed from the stream, by outcome. */
  readonly consumed = { learned: 0, duplicate: 0, 'below-horizon': 0 };
  private readonly createdAt: number;

  constructor(private readonly deps: PredictionRuntimeDeps) {
    const { config, pool, nc, logger, clock, metrics } = deps;
    this.createdAt = clock.now();
    const p = config.prediction;
    this.model = new OnlineModel({
      markovOrder: p.markovOrder,
      maxContexts: p.maxContexts,
      maxUsers: p.maxUsers,
      maxSessions: p.maxSessions,
      windowLength: p.historyLength,
      knn: { maxSessions: p.knn.maxSessions, neighbours: p.knn.neighbours, postingLimit: p.knn.postings },
    });
    // Actions are on each session's event store partition (the primary unless EVENT_STORE_PARTITIONS says otherwise).
    this.storePartitions = openStorePartitions(
      config.database.partitions,
      { url: config.database.url, pool },
      { poolSize: 2, applicationName: `foresight-${config.service}`, ssl: config.database.ssl },
      (sessionId) => shardOf(sessionId, config.cluster.shardCount),
    );
    this.actions = new ActionsRepository(this.storePartitions);
    this.models = new ModelsRepository(pool);
    const modelVersion = gauge(metrics, 'foresight_prediction_model_version', 'Stored version of the serving model (0 = live Markov only)', ['kind']);
    this.registry = new ModelRegistry({
      repo: this.models,
      model: this.model,
      nc,
      namespace: config.nats.namespace,
      logger,
      clock,
      onSwap: (s) => {
        modelVersion.reset();
        modelVersion.set({ kind: s.kind }, parseVersionName(s.version) ?? 0);
      },
    });
    const batchSize = histogram(
      metrics,
      'foresight_prediction_rnn_batch_size',
      'Histories per batched RNN forward pass',
      [],
      [1, 2, 4, 8, 16, 32, 64, 128, 256],
    );
    this.predictor = new Predictor({
      model: this.model,
      serving: () => this.registry.current,
      repo: this.actions,
      batcher: new RnnBatcher(256, (n) => batchSize.observe(n)),
      idSecret: config.session.idSecret,
      logger,
    });
    this.training = new AdvisoryLeadership({
      databaseUrl: config.database.url,
      ssl: config.database.ssl,
      lock: 'predictionTraining',
      applicationName: 'foresight-prediction-training',
    });
    this.trainer = new Trainer({
      settings: p,
      model: this.model,
      actions: this.actions,
      models: this.models,
      exclusive: this.training,
      registry: this.registry,
      logger,
      clock,
      workerPath: deps.workerPath ?? trainWorkerPath(),
    });
    this.scheduler = new RetrainScheduler(this.trainer, p.retrainIntervalMs, p.retrainCheckMs, logger);
    const latency = histogram(metrics, 'foresight_prediction_rpc_seconds', 'Prediction service request latency', ['op', 'ok']);
    this.rpc = new ForesightRpcTransport({
      nc,
      endpoints: predictionEndpoints(config.nats.namespace),
      logger,
      mapError: asServiceError,
      onRequest: (_endpoint, op, ms, ok) => latency.observe({ op, ok: String(ok) }, ms / 1000),
    });
  }

  /** Stream, vocabulary of the active model, rebuild from Postgres, active model, then serving and learning. */
  async start(): Promise<void> {
    const { config, nc, logger, clock, metrics } = this.deps;
    await useStream(nc, streamDeclarations(config.nats.namespace).prediction, config.nats.jetStreamReplicas, { logger });
    const active = await this.registry.seedFromActive();
    this.rebuilt = await rebuildFromStore(this.model, this.actions, logger, clock);
    if (active) await this.registry.activate(active);

    this.rpc.open();
    const actions = counter(metrics, 'foresight_prediction_actions_total', 'Recorded actions consumed, by outcome', ['outcome']);
    this.consumer = new ActionConsumer({
      nc,
      namespace: config.nats.namespace,
      durable: `prediction-${config.cluster.nodeId}`,
      model: this.model,
      repo: this.actions,
      horizon: this.rebuilt.horizon,
      logger,
      onEvent: (outcome) => {
        this.consumed[outcome]++;
        actions.inc({ outcome });
      },
      metrics,
      clock: this.deps.clock,
    });
    await this.consumer.start();
    this.registry.follow();
    this.scheduler.start();
    logger.info({ model: this.registry.current.version, horizon: Object.fromEntries(this.rebuilt.horizon) }, 'prediction service ready');
  }

  /** The action consumer's loop, for `/health` (`starting` until `start()` created it). */
  consumerState(): ConsumerState {
    return this.consumer?.state() ?? { status: 'starting', since: this.createdAt, restarts: 0, failures: 0 };
  }

  /** No new requests, stop learning and training, then the platform drains NATS and closes the pool. */
  async stop(): Promise<void> {
    await this.rpc.close();
    this.registry.stopFollowing();
    await this.consumer?.stop();
    await this.scheduler.stop();
    await this.training.stop();
    await this.storePartitions.close();
  }
}
