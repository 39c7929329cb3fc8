import type { ForesightConfig } from '@foresight/config';
import type { PredictionModelKind } from '@foresight/contracts';
import type { AdvisoryLeadership } from '@foresight/persistence';
import { encodeBundle, encodeMarkov, loadRnnArtifact, packSessions, trainInWorker, VariableOrderMarkov } from '@foresight/prediction-core';
import type { Clock } from '@foresight/time';
import { randomUUID } from 'node:crypto';
import type { ActionsRepository } from '../learning/actions.repository';
import type { OnlineModel } from '../learning/online-model';
import type { Log } from '../learning/rebuild';
import type { ModelRegistry } from '../models/model-registry';
import type { ModelsRepository } from '../models/models.repository';
import { splitByOrder, withTransitions } from './dataset';
import { compareOnHeldOut, ensembleWins } from './evaluate';

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
 * worker thread on the first 80% (by order), fit the ensemble on the first half of the rest and
 * compare it with a Markov model trained on the same 80% on the second half. The ensemble is kept
 * only if it beats Markov there; either way the round stores a model (Markov snapshot of the live
 * model, plus the RNN and weights when kept), activates it and announces it.
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
    const upTo = model.appliedPosition;
    const names = await this.deps.actions.trainingSessions(upTo, settings.trainMaxSessions);
    const sessions = withTransitions(names.map((s) => s.map((a) => model.vocabulary.encode(a))));
    model.global.growVocabulary(model.vocabulary.size);
    if (sessions.length < settings.retrainMinSessions) {
      logger.info({ sessions: sessions.length, needed: settings.retrainMinSessions }, 'retraining skipped: not enough sessions');
      return { status: 'skipped', reason: 'not enough sessions' };
    }
    const split = splitByOrder(sessions);
    const vocabularySize = model.vocabulary.size;
    const vocabulary = model.vocabulary.toJSON();
    logger.info(
      { roundId, upTo, train: split.train.length, fit: split.fit.length, test: split.test.length, vocabularySize },
      'retraining: RNN in a worker thread',
    );

    const rnnSettings = settings.rnn;
    const trained = await trainInWorker(
      packSessions(split.train),
      {
        vocabularySize,
        historyLength: settings.historyLength,
        hiddenUnits: rnnSettings.hiddenUnits,
        epochs: rnnSettings.epochs,
        batchSize: rnnSettings.batchSize,
        learningRate: rnnSettings.learningRate,
        maxWindows: rnnSettings.maxWindows,
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
              epochs: p.epochs,
              batch: p.batch,
              batches: p.batches,
              loss: Number(p.loss.toFixed(4)),
              seconds: Math.round(p.elapsedSeconds),
            },
            'retraining progress',
          ),
      },
    );
    const rnn = await loadRnnArtifact(trained.artifact);
    let handedOver = false;
    try {
      const markov = new VariableOrderMarkov({ maxOrder: settings.markovOrder, vocabularySize, maxContexts: settings.maxContexts });
      for (let i = 0; i < split.train.length; i++) {
        markov.observeSession(split.train[i]!);
        if (i % 2000 === 1999) await pause();
      }
      const comparison = await compareOnHeldOut(markov, rnn, split.fit, split.test, { maxPositions: settings.evalMaxPositions, pause });
      const kind: PredictionModelKind = ensembleWins(comparison) ? 'ensemble' : 'markov';
      const metrics = {
        roundId,
        decision: kind,
        upToPosition: upTo,
        sessions: { train: split.train.length, fit: split.fit.length, test: split.test.length },
        positions: { fit: comparison.fitPositions, test: comparison.testPositions },
        markov: comparison.markov,
        rnn: {
          ...comparison.rnn,
          seconds: trained.stats.seconds,
          windows: trained.stats.windowsPerEpoch,
          finalLoss: trained.stats.finalLoss,
          backend: trained.stats.backend,
          hiddenUnits: rnnSettings.hiddenUnits,
          epochs: rnnSettings.epochs,
        },
        ensemble: comparison.ensemble,
        markovWeights: comparison.weights.markovWeight.map((w) => Math.round(w * 100) / 100),
      };
      logger.info(
        { roundId, markov: comparison.markov, rnn: comparison.rnn, ensemble: comparison.ensemble, positions: comparison.testPositions, decision: kind },
        kind === 'ensemble'
          ? 'the ensemble beat Markov on held-out sessions: keeping it'
          : 'the RNN did not earn its place on held-out sessions: keeping Markov',
      );
      const bundle = encodeBundle({
        kind,
        vocabulary: model.vocabulary.toJSON(),
        markov: encodeMarkov(model.global),
        rnn: kind === 'ensemble' ? trained.artifact : null,
        weights: kind === 'ensemble' ? comparison.weights : null,
      });
      const row = await this.deps.models.storeActive(kind, bundle, metrics, new Date(clock.now()), settings.modelRetention);
      handedOver = kind === 'ensemble';
      const activated = await this.deps.registry.activate(row, kind === 'ensemble' ? rnn : undefined);
      if (!activated) handedOver = false;
      else await this.deps.registry.announce(roundId).catch((error: unknown) => logger.warn({ err: error }, 'could not announce the new model'));
      return { status: 'stored', version: row.version, kind, activated, metrics };
    } finally {
      if (!handedOver) rnn.dispose();
    }
  }
}
