import type { ForesightConfig } from '@foresight/config';
import type { PredictionModelKind } from '@foresight/contracts';
import type { AdvisoryLeadership } from '@foresight/persistence';
import { encodeBundle, encodeKnn, encodeMarkov, loadRnnArtifact, packSessions, trainInWorker } from '@foresight/prediction-core';
import type { Clock } from '@foresight/time';
import { randomUUID } from 'node:crypto';
import type { ActionsRepository } from '../learning/actions.repository';
import type { OnlineModel } from '../learning/online-model';
import type { Log } from '../learning/rebuild';
import type { ModelRegistry } from '../models/model-registry';
import type { ModelsRepository } from '../models/models.repository';
import { splitByOrder, withTransitions } from './dataset';
import { chooseModel } from './evaluate';

export interface TrainerDeps {
  readonly settings: ForesightConfig['prediction'];
  readonly model: OnlineModel;
  readonly actions: ActionsRepository;
  readonly models: ModelsRepository;
  /** Held for a round, so one instance trains at a time. */
  readonly exclusive: Pick<AdvisoryLeadership, 'runExclusive'>;
  readonly registry: ModelRegistry;
  readonly logger: Log;
  readonly clock: Clock;
  /** Compiled training-worker entry (see `trainWorkerPath`). */
  readonly workerPath?: string;
}

export type RoundOutcome =
  | { readonly status: 'skipped'; readonly reason: string }
  | {
      readonly status: 'stored';
      readonly version: number;
      readonly kind: PredictionModelKind;
      readonly activated: boolean;
      readonly metrics: Record<string, unknown>;
    };

const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * One retraining round: read the most recent sessions' actions from Postgres, train the RNN in a
 * worker thread on the first 80% (by order), train Markov and session-kNN on the same 80%, fit
 * every mixture of them on the first half of the rest and compare them on the second half. The
 * winner (best held-out MRR@20; Markov alone unless a mixture beats it) is stored (snapshots of
 * the live Markov model and kNN index, the RNN and the weights when the winner uses them),
 * activated and announced.
 */
export class Trainer {
  private running: Promise<RoundOutcome> | null = null;

  constructor(private readonly deps: TrainerDeps) {}

  /**
   * Runs a round, or joins the one running here. `force` ignores the interval since the last
   * model and, if a round is running, runs a new one after it (never answers with its outcome).
   */
  runRound(options: { force?: boolean } = {}): Promise<RoundOutcome> {
    if (this.running !== null && !options.force) return this.running;
    const after = this.running?.catch(() => undefined) ?? Promise.resolve();
    const run: Promise<RoundOutcome> = after
      .then(() => this.deps.exclusive.runExclusive(() => this.round(options.force ?? false)))
      .then((r) => r ?? { status: 'skipped' as const, reason: 'another instance is training' })
      .finally(() => {
        if (this.running === run) this.running = null;
      });
    this.running = run;
    return run;
  }

  /** Resolves when no round is running. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async round(force: boolean): Promise<RoundOutcome> {
    const { settings, model, logger, clock } = this.deps;
    const roundId = randomUUID();
    if (!force && settings.retrainIntervalMs > 0) {
      const newest = await this.deps.models.newestCreatedAt();
      if (newest !== undefined && clock.now() - newest < settings.retrainIntervalMs) return { status: 'skipped', reason: 'a recent model exists' };
    }
    const upTo = new Map(model.applied);
    const read = await this.deps.actions.trainingSessions(upTo, settings.trainMaxSessions);
    const sessions = withTransitions(read.map((s) => ({ userId: s.userId, actions: s.actions.map((a) => model.vocabulary.encode(a)) })));
    model.global.growVocabulary(model.vocabulary.size);
    if (sessions.length < settings.retrainMinSessions) {
      logger.info({ sessions: sessions.length, needed: settings.retrainMinSessions }, 'retraining skipped: not enough sessions');
      return { status: 'skipped', reason: 'not enough sessions' };
    }
    const split = splitByOrder(sessions);
    const vocabularySize = model.vocabulary.size;
    const vocabulary = model.vocabulary.toJSON();
    logger.info(
      { roundId, upTo: Object.fromEntries(upTo), train: split.train.length, fit: split.fit.length, test: split.test.length, vocabularySize },
      'retraining: RNN in a worker thread',
    );

    const rnnSettings = settings.rnn;
    const trained = await trainInWorker(
      packSessions(split.train.map((s) => s.actions)),
      {
        vocabularySize,
        historyLength: settings.historyLength,
        hiddenUnits: rnnSettings.hiddenUnits,
        epochs: rnnSettings.epochs,
        patience: rnnSettings.patience,
        batchSize: rnnSettings.batchSize,
        learningRate: rnnSettings.learningRate,
        maxWindows: rnnSettings.maxWindows,
        maxSeconds: rnnSettings.maxSeconds,
        seed: rnnSettings.seed,
      },
      {
        vocabulary,
        version: `rnn-${roundId}`,
        progressIntervalMs: 5000,
        workerPath: this.deps.workerPath,
        onLog: (message) => logger.info({ roundId }, message),
        onProgress: (p) =>
          logger.info(
            {
              roundId,
              epoch: p.epoch,
              maxEpochs: p.epochs,
              batch: p.batch,
              batches: p.batches,
              loss: Number(p.loss.toFixed(4)),
              heldOutLoss: p.validationLoss,
              seconds: Math.round(p.elapsedSeconds),
            },
            'retraining progress',
          ),
      },
    );
    const rnn = await loadRnnArtifact(trained.artifact);
    let handedOver = false;
    try {
      const selection = await chooseModel(
        split.train,
        split.fit,
        split.test,
        vocabularySize,
        rnn,
        {
          markovOrder: settings.markovOrder,
          maxContexts: settings.maxContexts,
          maxUsers: settings.maxUsers,
          knn: settings.knn,
          maxPositions: settings.evalMaxPositions,
        },
        pause,
      );
      const chosen = selection.chosen;
      const components = chosen.weights.components;
      const kind: PredictionModelKind = components.length > 1 ? 'ensemble' : 'markov';
      const stats = trained.stats;
      const metrics = {
        roundId,
        decision: chosen.name,
        // One partition: its position, as before partitions; several: each partition server's.
        upToPosition: upTo.size === 1 ? [...upTo.values()][0] : undefined,
        upToPositions: Object.fromEntries(upTo),
        sessions: { train: split.train.length, fit: split.fit.length, test: split.test.length },
        positions: { fit: selection.fitPositions, test: selection.testPositions },
        candidates: Object.fromEntries(selection.candidates.map((c) => [c.fit === 'rank' ? `${c.name} (rank fit)` : c.name, c.scores])),
        fit: chosen.fit,
        rnn: {
          seconds: stats.seconds,
          epochs: stats.epochs,
          bestEpoch: stats.bestEpoch,
          stopReason: stats.stopReason,
          heldOutLoss: stats.validationLoss,
          windows: stats.windowsPerEpoch,
          batchSize: stats.batchSize,
          sampledOutput: stats.sampledOutput,
          finalLoss: stats.finalLoss,
          backend: stats.backend,
          hiddenUnits: rnnSettings.hiddenUnits,
        },
        mixture: { components, repeat: selection.weights.repeat },
        knn: { afterDecay: selection.knn.calibration.afterDecay, heldOut: selection.knn.scores },
      };
      logger.info(
        { roundId, candidates: metrics.candidates, positions: selection.testPositions, decision: chosen.name },
        `kept ${chosen.name}: ${components.length > 1 ? `it beat ${[...new Set(selection.candidates.filter((c) => c !== chosen).map((c) => c.name))].join(', ')}` : 'no mixture beat Markov'} on held-out sessions (MRR@20 ${chosen.scores.mrr20}, ${chosen.fit} fit)`,
      );
      const bundle = encodeBundle({
        kind,
        vocabulary: model.vocabulary.toJSON(),
        markov: encodeMarkov(model.global),
        knn: components.includes('knn') ? encodeKnn(model.knn.index, selection.knn.calibration) : null,
        rnn: components.includes('rnn') ? trained.artifact : null,
        mixture: kind === 'ensemble' ? selection.weights : null,
      });
      const usesRnn = components.includes('rnn');
      const row = await this.deps.models.storeActive(kind, bundle, metrics, new Date(clock.now()), settings.modelRetention);
      handedOver = usesRnn;
      const activated = await this.deps.registry.activate(row, usesRnn ? rnn : undefined);
      if (!activated) handedOver = false;
      else await this.deps.registry.announce(roundId).catch((error: unknown) => logger.warn({ err: error }, 'could not announce the new model'));
      return { status: 'stored', version: row.version, kind, activated, metrics };
    } finally {
      if (!handedOver) rnn.dispose();
    }
  }
}
