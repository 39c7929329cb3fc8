import { predictionSubjects, type PredictionResult } from '@foresight/contracts';
import { decode } from '@foresight/messaging';
import { counter, type Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { Counter, Registry } from 'prom-client';
import type { NatsConnection, Subscription } from 'nats';

export type Outcome = 'top1' | 'listed' | 'missed';

/** How the live model's answers fared: counts of scored predictions and the model that gave the last one. */
export interface PredictionAccuracyView {
  /** Predictions served through this gateway since it started. */
  readonly served: number;
  /** Served predictions followed by a recorded action (each scored once, against that next action). */
  readonly scored: number;
  readonly top1: number;
  /** The action was in the list served (first or not). */
  readonly listed: number;
  readonly top1Accuracy: number | null;
  readonly listedAccuracy: number | null;
  readonly model: { readonly version: string; readonly kind: string } | null;
}

export interface PredictionOutcomesDeps {
  readonly nc: NatsConnection;
  readonly namespace: string;
  readonly metrics: Registry;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Sessions whose last served prediction is remembered; the oldest is forgotten first. */
  readonly maxSessions?: number;
}

/**
 * Scores the live model as its clients meet it: the predictions this gateway served, against the
 * action each session records next (`session.action_recorded` on the session stream, which the
 * gateway already follows). The prediction service learns online, so this is prequential accuracy:
 * every answer is judged on an action the model had not seen when it answered.
 */
export class PredictionOutcomes {
  private readonly pending = new Map<string, { readonly actions: readonly string[]; readonly servedAt: number }>();
  private readonly maxSessions: number;
  private readonly outcomes: Counter<string>;
  private readonly totals = { served: 0, scored: 0, top1: 0, listed: 0 };
  private model: { version: string; kind: string } | null = null;
  private sub: Subscription | null = null;

  constructor(private readonly deps: PredictionOutcomesDeps) {
    this.maxSessions = deps.maxSessions ?? 10_000;
    this.outcomes = counter(
      deps.metrics,
      'foresight_gateway_prediction_outcomes_total',
      'Predictions served by this gateway, scored against the next recorded action: top1, listed (not first), missed',
      ['outcome'],
    );
  }

  /** Remembers what a session was told; a later answer for the same session replaces it. */
  served(result: Pick<PredictionResult, 'sessionId' | 'modelVersion' | 'model' | 'predictions'>): void {
    this.totals.served++;
    this.model = { version: result.modelVersion, kind: result.model };
    this.pending.delete(result.sessionId);
    this.pending.set(result.sessionId, { actions: result.predictions.map((p) => p.action), servedAt: this.deps.clock.now() });
    if (this.pending.size > this.maxSessions) this.pending.delete(this.pending.keys().next().value!);
  }

  /**
   * The session did `action` at `occurredAt` (ms): scores the prediction it was last served, if any.
   * An action that happened before the answer was served (its event arrived late) is not the answer's
   * target and scores nothing.
   */
  recorded(sessionId: string, action: string, occurredAt: number): Outcome | undefined {
    const served = this.pending.get(sessionId);
    if (served === undefined || occurredAt < served.servedAt) return undefined;
    const { actions } = served;
    this.pending.delete(sessionId);
    const outcome: Outcome = actions[0] === action ? 'top1' : actions.includes(action) ? 'listed' : 'missed';
    this.totals.scored++;
    if (outcome !== 'missed') this.totals.listed++;
    if (outcome === 'top1') this.totals.top1++;
    this.outcomes.inc({ outcome });
    return outcome;
  }

  view(): PredictionAccuracyView {
    const { served, scored, top1, listed } = this.totals;
    return {
      served,
      scored,
      top1,
      listed,
      top1Accuracy: scored ? top1 / scored : null,
      listedAccuracy: scored ? listed / scored : null,
      model: this.model,
    };
  }

  /** Follows recorded actions (core NATS; a missed event only leaves one prediction unscored). */
  start(): void {
    const subject = predictionSubjects(this.deps.namespace).actionRecorded;
    this.sub = this.deps.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) return;
        if (this.pending.size === 0) return;
        try {
          const event = decode<{ type?: unknown; sessionId?: unknown; occurredAt?: unknown; data?: { action?: unknown } }>(msg.data);
          const at = typeof event.occurredAt === 'string' ? Date.parse(event.occurredAt) : NaN;
          if (event.type === 'session.action_recorded' && typeof event.sessionId === 'string' && typeof event.data?.action === 'string' && !Number.isNaN(at)) {
            this.recorded(event.sessionId, event.data.action, at);
          }
        } catch (e) {
          this.deps.logger.debug({ err: e }, 'unreadable action event ignored by the prediction scoring');
        }
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }
}
