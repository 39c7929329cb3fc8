import { ErrorCodes, ForesightError, type PredictedAction, type PredictionResult } from '@foresight/contracts';
import { UNKNOWN_INDEX, topNOfDistribution, type ScoredAction } from '@foresight/prediction-core';
import { checkIssuedId } from '@foresight/session-domain';
import type { ActionsRepository } from '../learning/actions.repository';
import type { OnlineModel } from '../learning/online-model';
import type { Log } from '../learning/rebuild';
import type { ServingModel } from '../models/serving-model';
import { mixedDistribution } from './mixture-distribution';
import type { RnnBatcher } from './rnn-batcher';

export interface PredictorDeps {
  readonly model: OnlineModel;
  /** The serving model at the time of the call. */
  readonly serving: () => ServingModel;
  readonly repo: Pick<ActionsRepository, 'history' | 'sessionInfo'>;
  readonly batcher: RnnBatcher;
  readonly idSecret: string;
  readonly logger: Log;
}

/**
 * `predict(session, n)`: the session's recent actions (memory, else Postgres), then the Markov
 * model (user blend) alone or mixed with session-kNN and/or the RNN of an ensemble. Cold start: a
 * session with no action yet gets the start-of-session distribution, which backs off to overall
 * popularity.
 */
export class Predictor {
  constructor(private readonly deps: PredictorDeps) {}

  async predict(sessionId: string, n: number): Promise<PredictionResult> {
    checkIssuedId(sessionId, this.deps.idSecret);
    const { history, userId } = await this.historyOf(sessionId);
    const serving = this.deps.serving();
    let scored: readonly ScoredAction[] | null = null;
    let name = serving.name;
    if (serving.mixture !== null) {
      try {
        scored = await this.ensemble(serving, sessionId, userId, history, n);
      } catch (error) {
        this.deps.logger.warn({ err: error, version: serving.version }, 'RNN inference failed; answered with the Markov model');
        name = 'markov';
      }
    }
    scored ??= this.deps.model
      .predictMarkov(userId, history, n + 1)
      .filter((a) => a.action !== UNKNOWN_INDEX)
      .slice(0, n);
    const vocabulary = this.deps.model.vocabulary;
    const predictions: PredictedAction[] = scored.map((a) => ({ action: vocabulary.decode(a.action), p: a.p }));
    return { sessionId, modelVersion: serving.version, model: name, historyLength: history.length, predictions };
  }

  private async historyOf(sessionId: string): Promise<{ history: number[]; userId: string | null }> {
    const { model, repo } = this.deps;
    const w = model.windows.get(sessionId);
    if (w !== undefined) return { history: [...w.actions], userId: w.userId };
    // Not in memory (no action learned yet, or evicted): the store knows. Never installed as a
    // window here, so the consumer's per-session version check is not fooled.
    const stored = await repo.history(sessionId, model.windows.length);
    if (stored.length > 0) return { history: stored.map((a) => model.vocabulary.lookup(a.action)), userId: stored[stored.length - 1]!.userId };
    const info = await repo.sessionInfo(sessionId);
    if (info === undefined) throw new ForesightError(ErrorCodes.SESSION_NOT_FOUND, 'No such session.');
    if (info.ended) throw new ForesightError(ErrorCodes.SESSION_ENDED, 'The session has ended.');
    return { history: [], userId: info.userId };
  }

  private async ensemble(serving: ServingModel, sessionId: string, userId: string | null, history: readonly number[], n: number): Promise<ScoredAction[]> {
    const dist = await mixedDistribution(this.deps.model, this.deps.batcher, serving, sessionId, userId, history);
    dist[UNKNOWN_INDEX] = 0;
    return topNOfDistribution(dist, Math.min(n, dist.length)).filter((a) => a.p > 0);
  }
}
