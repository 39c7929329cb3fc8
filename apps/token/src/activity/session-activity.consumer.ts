import { subjects, TOKEN_ACTIVITY_DURABLE, type Envelope } from '@foresight/contracts';
import { runPullConsumer, type ConsumerState, type RunningConsumer } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { systemClock, type Clock } from '@foresight/time';
import type { ReturnModel } from '@foresight/token-core';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { ActivityRepository } from './activity.repository';
import { parseActivityEvent } from './activity-event';

export interface SessionActivityDeps {
  readonly nc: NatsConnection;
  readonly namespace: string;
  readonly activity: ActivityRepository;
  readonly population: ReturnModel;
  /** Revokes every token family of a session that ended. */
  readonly revokeSession: (sessionId: string, correlationId: string, causationId: string) => Promise<unknown>;
  readonly logger: Logger;
  readonly onEvent?: (type: string) => void;
  /** Registry for the consumer's poison, restart and up series. */
  readonly metrics?: Registry;
  /** Stamps the consumer's state (default the system clock). */
  readonly clock?: Clock;
}

/** Durable name shared by every token service instance: each event is handled by one of them. */
const ACTIVITY_DURABLE = TOKEN_ACTIVITY_DURABLE;

/**
 * Durable pull consumer on the session stream (`<ns>.evt.session.>`). Any session event is
 * activity: it feeds token-core's activity state (per session, in Postgres) and the return
 * model (in memory: the gaps and ends by session age and request count, learned from this
 * instance's share of the events, an unbiased sample). `session.ended` revokes the session's token families. Acked after the work committed;
 * an event whose fields are unusable is terminated and dead-lettered (`<ns>.dlq.token-activity`).
 */
export class SessionActivityConsumer {
  private running: RunningConsumer | null = null;
  private stopped = false;
  private readonly created: number;

  constructor(private readonly deps: SessionActivityDeps) {
    this.created = (deps.clock ?? systemClock).now();
  }

  /**
   * Starts consuming. Resolves after the first attempt; if the session stream does not exist yet
   * (no shard node ran), or the loop ends later, it is restarted in the background.
   */
  async start(): Promise<void> {
    const s = subjects(this.deps.namespace);
    const running = await runPullConsumer(
      this.deps.nc,
      {
        stream: s.sessionStream,
        durable: ACTIVITY_DURABLE,
        filterSubject: s.sessionEventsWildcard,
        ackWaitMs: 30_000,
        deliverNew: true,
        deadLetterSubject: s.deadLetter(ACTIVITY_DURABLE),
      },
      (event) => this.handle(event),
      this.deps.logger,
      { metrics: this.deps.metrics, clock: this.deps.clock },
    );
    if (this.stopped) return running.stop();
    this.running = running;
    if (running.state().status === 'running') this.deps.logger.info({ stream: s.sessionStream }, 'consuming session activity');
  }

  /** For `/health`: running, or starting/restarting since when and why. */
  state(): ConsumerState {
    return this.running?.state() ?? { status: this.stopped ? 'stopped' : 'starting', since: this.created, restarts: 0, failures: 0 };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.stop();
  }

  async handle(event: Envelope): Promise<void> {
    const e = parseActivityEvent(event);
    this.deps.onEvent?.(e.type);
    if (e.kind === 'ended') {
      await this.deps.revokeSession(e.sessionId, e.correlationId, e.eventId);
      const last = await this.deps.activity.remove(e.sessionId);
      if (last) this.deps.population.observeEnd(last.requests, last.lastAt - last.firstAt);
      return;
    }
    const seen = await this.deps.activity.observe(e.sessionId, e.at, e.idleTimeoutMs);
    if (seen) this.deps.population.observeGap(seen.before.requests, seen.before.lastAt - seen.before.firstAt, seen.gapMs);
  }
}
