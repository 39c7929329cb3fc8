import { predictionSubjects, subjects } from '@foresight/contracts';
import { runPullConsumer, type ConsumerState, type RunningConsumer } from '@foresight/messaging';
import { systemClock, type Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { parseActionEvent } from './action-event';
import type { ActionsRepository, PartitionPositions } from './actions.repository';
import type { OnlineModel } from './online-model';
import type { Log } from './rebuild';

export interface ActionConsumerDeps {
  readonly nc: NatsConnection;
  readonly namespace: string;
  /** Durable consumer name; one per prediction instance, so every instance sees every action. */
  readonly durable: string;
  readonly model: OnlineModel;
  readonly repo: ActionsRepository;
  /** Events at or below these positions (per event store partition) were learned from Postgres at start. */
  readonly horizon: PartitionPositions;
  readonly logger: Log;
  readonly onEvent?: (outcome: 'learned' | 'duplicate' | 'below-horizon') => void;
  /** Registry for the consumer's poison, restart and up series. */
  readonly metrics?: Registry;
  /** Stamps the consumer's state (default the system clock). */
  readonly clock?: Clock;
}

/**
 * Durable JetStream pull consumer on `<ns>.evt.session.action_recorded`: each action updates the
 * global and per-user Markov models and the session's window, then the message is acked (by
 * `runPullConsumer`, after `handle` resolved). Malformed messages are terminated and dead-lettered
 * (`<ns>.dlq.<durable>`); a failed history lookup is retried (nak).
 */
export class ActionConsumer {
  private running: RunningConsumer | null = null;
  private stopped = false;
  private readonly created: number;

  constructor(private readonly deps: ActionConsumerDeps) {
    this.created = (deps.clock ?? systemClock).now();
  }

  /**
   * Starts consuming; resolves after the first attempt. While the session stream does not exist yet
   * (no shard node ran), or whenever the loop ends, it is restarted in the background.
   */
  async start(): Promise<void> {
    const stream = subjects(this.deps.namespace).sessionStream;
    const filterSubject = predictionSubjects(this.deps.namespace).actionRecorded;
    const deadLetterSubject = subjects(this.deps.namespace).deadLetter(this.deps.durable);
    // Deliver-all on first creation: nothing committed after the horizon can be missed; older events are skipped cheaply.
    const running = await runPullConsumer(
      this.deps.nc,
      { stream, durable: this.deps.durable, filterSubject, ackWaitMs: 30_000, deliverNew: false, deadLetterSubject },
      (event) => this.handle(event),
      this.deps.logger,
      { metrics: this.deps.metrics, clock: this.deps.clock },
    );
    if (this.stopped) return running.stop();
    this.running = running;
    if (running.state().status === 'running')
      this.deps.logger.info({ stream, durable: this.deps.durable, horizon: Object.fromEntries(this.deps.horizon) }, 'consuming recorded actions');
  }

  /** For `/health`: running, or starting/restarting since when and why. */
  state(): ConsumerState {
    return this.running?.state() ?? { status: this.stopped ? 'stopped' : 'starting', since: this.created, restarts: 0, failures: 0 };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.stop();
  }

  async handle(raw: unknown): Promise<void> {
    const { model, repo } = this.deps;
    // A position is its partition server's: compared with that server's horizon, learned as that server's.
    const parsed = parseActionEvent(raw);
    const o = { ...parsed, partition: repo.partitionOf(parsed.sessionId) };
    if (o.position <= (this.deps.horizon.get(o.partition) ?? 0)) {
      this.deps.onEvent?.('below-horizon');
      return;
    }
    // A session not in memory (new, or evicted) continues from its stored history, so its transitions are right.
    const prior = model.windows.has(o.sessionId) ? undefined : (await repo.history(o.sessionId, model.windows.length, o.streamVersion)).map((a) => a.action);
    this.deps.onEvent?.(model.learn(o, prior) ? 'learned' : 'duplicate');
  }
}
