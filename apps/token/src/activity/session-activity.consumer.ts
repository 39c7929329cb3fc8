import { ErrorCodes, ForesightError, subjects, TOKEN_ACTIVITY_DURABLE, type SessionEvent } from '@foresight/contracts';
import { runPullConsumer, type RunningConsumer } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { PopulationGapModel } from '@foresight/token-core';
import type { NatsConnection } from 'nats';
import type { ActivityRepository } from './activity.repository';

export interface SessionActivityDeps {
  readonly nc: NatsConnection;
  readonly namespace: string;
  readonly activity: ActivityRepository;
  readonly population: PopulationGapModel;
  /** Revokes every token family of a session that ended. */
  readonly revokeSession: (sessionId: string, correlationId: string, causationId: string) => Promise<unknown>;
  readonly logger: Logger;
  readonly onEvent?: (type: string) => void;
}

/** Durable name shared by every token service instance: each event is handled by one of them. */
export const ACTIVITY_DURABLE = TOKEN_ACTIVITY_DURABLE;

/**
 * Durable pull consumer on the session stream (`<ns>.evt.session.>`). Any session event is
 * activity: it feeds token-core's activity forecaster (per session, in Postgres) and the
 * population gap model (in memory, learned from this instance's share of the events, an unbiased
 * sample). `session.ended` revokes the session's token families. Acked after the work committed.
 */
export class SessionActivityConsumer {
  private running: RunningConsumer | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly deps: SessionActivityDeps) {}

  /**
   * Starts consuming. Resolves after the first attempt; if the session stream does not exist yet
   * (no shard node ran), it keeps retrying in the background.
   */
  start(): Promise<void> {
    const s = subjects(this.deps.namespace);
    const attempt = async () => {
      if (this.stopped) return;
      try {
        this.running = await runPullConsumer<SessionEvent>(
          this.deps.nc,
          { stream: s.sessionStream, durable: ACTIVITY_DURABLE, filterSubject: s.sessionEventsWildcard, ackWaitMs: 30_000, deliverNew: true },
          (event) => this.handle(event),
          this.deps.logger,
        );
        this.deps.logger.info({ stream: s.sessionStream }, 'consuming session activity');
      } catch (error) {
        this.deps.logger.warn({ err: error, stream: s.sessionStream }, 'session stream not available yet; retrying');
        this.retry = setTimeout(() => void attempt(), 1000);
      }
    };
    return attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.running?.stop();
  }

  async handle(event: SessionEvent): Promise<void> {
    if (typeof event?.sessionId !== 'string' || typeof event.occurredAt !== 'string' || !Number.isFinite(Date.parse(event.occurredAt))) {
      throw new ForesightError(ErrorCodes.MALFORMED_MESSAGE, 'session event without sessionId/occurredAt');
    }
    this.deps.onEvent?.(event.type);
    if (event.type === 'session.ended') {
      await this.deps.revokeSession(event.sessionId, event.correlationId, event.id);
      await this.deps.activity.remove(event.sessionId);
      this.deps.population.observeSessionEnd();
      return;
    }
    const idle = event.type === 'session.created' ? event.data.idleTimeoutMs : undefined;
    const gap = await this.deps.activity.observe(event.sessionId, Date.parse(event.occurredAt), idle);
    if (gap !== undefined) this.deps.population.observeGap(gap);
  }
}
