import { predictionSubjects, subjects } from '@foresight/contracts';
import { runPullConsumer, type RunningConsumer } from '@foresight/messaging';
import type { NatsConnection } from 'nats';
import { parseActionEvent } from './action-event';
import type { ActionsRepository } from './actions.repository';
import type { OnlineModel } from './online-model';
import type { Log } from './rebuild';

export interface ActionConsumerDeps {
  readonly nc: NatsConnection;
  readonly namespace: string;
  /** Durable consumer name; one per prediction instance, so every instance sees every action. */
  readonly durable: string;
  readonly model: OnlineModel;
  readonly repo: ActionsRepository;
  /** Events at or below this position were learned from Postgres at start. */
  readonly horizon: number;
  readonly logger: Log;
  readonly onEvent?: (outcome: 'learned' | 'duplicate' | 'below-horizon') => void;
}

/**
 * Durable JetStream pull consumer on `<ns>.evt.session.action_recorded`: each action updates the
 * global and per-user Markov models and the session's window, then the message is acked (by
 * `runPullConsumer`, after `handle` resolved). Malformed messages are terminated; a failed history
 * lookup is retried (nak).
 */
export class ActionConsumer {
  private running: RunningConsumer | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ActionConsumerDeps) {}

  /** Starts consuming; while the session stream does not exist yet (no shard node ran), retries in the background. */
  start(): void {
    const stream = subjects(this.deps.namespace).sessionStream;
    const filterSubject = predictionSubjects(this.deps.namespace).actionRecorded;
    let failures = 0;
    const attempt = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        // Deliver-all on first creation: nothing committed after the horizon can be missed; older events are skipped cheaply.
        this.running = await runPullConsumer(
          this.deps.nc,
          { stream, durable: this.deps.durable, filterSubject, ackWaitMs: 30_000, deliverNew: false },
          (event) => this.handle(event),
          this.deps.logger,
        );
        this.deps.logger.info({ stream, durable: this.deps.durable, horizon: this.deps.horizon }, 'consuming recorded actions');
      } catch (error) {
        // Said once; a service started before any shard node would otherwise warn every second.
        if (failures++ === 0) this.deps.logger.warn({ err: error, stream }, 'session stream not available yet; retrying every second');
        this.retry = setTimeout(() => void attempt(), 1000);
      }
    };
    void attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.running?.stop();
  }

  async handle(raw: unknown): Promise<void> {
    const o = parseActionEvent(raw);
    if (o.position <= this.deps.horizon) {
      this.deps.onEvent?.('below-horizon');
      return;
    }
    const { model, repo } = this.deps;
    // A session not in memory (new, or evicted) continues from its stored history, so its transitions are right.
    const prior = model.windows.has(o.sessionId) ? undefined : (await repo.history(o.sessionId, model.windows.length, o.streamVersion)).map((a) => a.action);
    this.deps.onEvent?.(model.learn(o, prior) ? 'learned' : 'duplicate');
  }
}
