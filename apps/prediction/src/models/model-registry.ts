import { predictionSubjects, type PredictionModelUpdatedV1 } from '@foresight/contracts';
import { decode, publishEvent } from '@foresight/messaging';
import {
  checkVocabularyPrefix,
  decodeBundle,
  decodeKnn,
  decodeMarkov,
  loadRnnArtifact,
  PredictionError,
  type KnnCalibration,
  type RnnModel,
} from '@foresight/prediction-core';
import type { Clock } from '@foresight/time';
import type { NatsConnection, Subscription } from 'nats';
import { createHash, randomUUID } from 'node:crypto';
import type { OnlineModel } from '../learning/online-model';
import type { Log } from '../learning/rebuild';
import type { ModelsRepository, StoredModelRow } from './models.repository';
import { LIVE_MARKOV, modelNameOf, parseVersionName, versionName, type ServingModel } from './serving-model';

export interface ModelRegistryDeps {
  readonly repo: ModelsRepository;
  readonly model: OnlineModel;
  readonly nc: NatsConnection;
  readonly namespace: string;
  readonly logger: Log;
  readonly clock: Clock;
  /** Loads an RNN artifact (injected so tests can count or fail loads). */
  readonly loadRnn?: (bytes: Uint8Array) => Promise<RnnModel>;
  readonly onSwap?: (serving: ServingModel) => void;
}

/** A replaced RNN is released after this long, so requests still holding it finish first. */
const DISPOSE_AFTER_MS = 10_000;

/**
 * Holds the serving model and swaps it: validates a stored model completely (bundle, Markov
 * snapshot, RNN artifact, vocabulary) before it replaces the current one, and keeps the current
 * one, logging why, when anything is wrong. Announces new models on the prediction stream and
 * follows the announcements of other instances.
 */
export class ModelRegistry {
  private serving: ServingModel = LIVE_MARKOV;
  private queue: Promise<unknown> = Promise.resolve();
  private subscription: Subscription | null = null;
  refused = 0;

  constructor(private readonly deps: ModelRegistryDeps) {}

  get current(): ServingModel {
    return this.serving;
  }

  /**
   * At start, before the rebuild: numbers the live vocabulary like the active stored model, so
   * its RNN's indices mean the same actions. Returns the row to {@link activate} after the rebuild.
   */
  async seedFromActive(): Promise<StoredModelRow | undefined> {
    const row = await this.deps.repo.active();
    if (row === undefined) return undefined;
    try {
      const names = decodeBundle(row.artifact).vocabulary.actions;
      checkVocabularyPrefix(names, this.deps.model.vocabulary);
      for (let i = this.deps.model.vocabulary.size; i < names.length; i++) this.deps.model.vocabulary.encode(names[i]!);
    } catch (error) {
      this.logRefusal(row, error);
    }
    return row;
  }

  /**
   * Validates `row` and makes it the serving model (a hot swap: one assignment; requests in
   * flight finish on the model they started with). Resolves false, keeping the current model,
   * when the row is corrupt or incompatible. Activations run one at a time.
   */
  activate(row: StoredModelRow, preloaded?: RnnModel): Promise<boolean> {
    const run = this.queue.then(() => this.doActivate(row, preloaded));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Publishes `prediction.model_updated` for the serving model. */
  async announce(correlationId: string): Promise<void> {
    const s = this.serving;
    if (s.stored === null) return;
    const event: PredictionModelUpdatedV1 = {
      id: randomUUID(),
      type: 'prediction.model_updated',
      version: 1,
      sessionId: '',
      occurredAt: new Date(this.deps.clock.now()).toISOString(),
      correlationId,
      causationId: correlationId,
      data: {
        modelVersion: s.version,
        kind: s.kind,
        createdAt: s.stored.createdAt,
        totalBytes: s.stored.bytes.length,
        sha256: s.stored.sha256,
        metrics: s.stored.metrics,
      },
    };
    await publishEvent(this.deps.nc.jetstream(), predictionSubjects(this.deps.namespace).predictionEvent(event.type), event);
  }

  /** Follows other instances' announcements: a model this instance does not serve is loaded from Postgres. */
  follow(): void {
    const subject = predictionSubjects(this.deps.namespace).predictionEvent('prediction.model_updated');
    this.subscription = this.deps.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        let version: number | undefined;
        try {
          version = parseVersionName(decode<PredictionModelUpdatedV1>(msg.data).data.modelVersion);
        } catch {
          version = undefined;
        }
        if (version === undefined) {
          this.deps.logger.warn({ subject }, 'ignored a malformed model_updated event');
          return;
        }
        if (versionName(version) === this.serving.version) return;
        void this.deps.repo
          .byVersion(version)
          .then(async (row) => {
            if (row) await this.activate(row);
            else this.deps.logger.warn({ version }, 'announced model is not in Postgres (pruned?)');
          })
          .catch((error: unknown) => this.deps.logger.warn({ err: error, version }, 'could not load an announced model'));
      },
    });
  }

  stopFollowing(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  private async doActivate(row: StoredModelRow, preloaded?: RnnModel): Promise<boolean> {
    const { model, logger } = this.deps;
    let rnn: RnnModel | null = null;
    try {
      const bundle = decodeBundle(row.artifact);
      if (bundle.kind !== row.kind)
        throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', `Row kind ${row.kind} does not match its bundle (${bundle.kind}).`);
      decodeMarkov(bundle.markov);
      // The kNN part that serves is the live index; the snapshot is checked and gives the calibration.
      const knn: KnnCalibration | null = bundle.knn ? decodeKnn(bundle.knn).calibration : null;
      if (bundle.rnn !== null) {
        rnn = preloaded ?? (await (this.deps.loadRnn ?? loadRnnArtifact)(bundle.rnn!));
        if (rnn.vocabularySize > bundle.vocabulary.actions.length) {
          throw new PredictionError(
            'PREDICTION.ARTIFACT_INCOMPATIBLE',
            `RNN predicts ${rnn.vocabularySize} actions but the bundle names ${bundle.vocabulary.actions.length}.`,
          );
        }
        if (rnn.vocabulary) checkVocabularyPrefix(rnn.vocabulary.actions, model.vocabulary);
      }
      // Checked again after the await: the live vocabulary may have grown meanwhile.
      checkVocabularyPrefix(bundle.vocabulary.actions, model.vocabulary);
      for (let i = model.vocabulary.size; i < bundle.vocabulary.actions.length; i++) model.vocabulary.encode(bundle.vocabulary.actions[i]!);
      model.global.growVocabulary(model.vocabulary.size);
      const previous = this.serving;
      this.serving = {
        version: versionName(row.version),
        kind: bundle.kind,
        name: modelNameOf(bundle.mixture),
        rnn,
        mixture: bundle.mixture,
        knn,
        stored: {
          version: row.version,
          createdAt: row.createdAt.toISOString(),
          bytes: row.artifact,
          sha256: createHash('sha256').update(row.artifact).digest('hex'),
          metrics: row.metrics,
          vocabulary: bundle.vocabulary.actions,
        },
      };
      this.retire(previous);
      logger.info({ version: this.serving.version, kind: bundle.kind, model: this.serving.name, previous: previous.version }, 'serving a new model');
      this.deps.onSwap?.(this.serving);
      return true;
    } catch (error) {
      if (rnn !== null && rnn !== preloaded) rnn.dispose();
      this.logRefusal(row, error);
      return false;
    }
  }

  private retire(previous: ServingModel): void {
    const old = previous.rnn;
    if (old === null || old === this.serving.rnn) return;
    setTimeout(() => old.dispose(), DISPOSE_AFTER_MS).unref();
  }

  private logRefusal(row: StoredModelRow, error: unknown): void {
    this.refused++;
    this.deps.logger.warn(
      {
        version: versionName(row.version),
        code: error instanceof PredictionError ? error.code : 'PREDICTION.ARTIFACT_CORRUPT',
        reason: error instanceof Error ? error.message : String(error),
        keeping: this.serving.version,
      },
      'refused a stored model; keeping the current one',
    );
  }
}
