import type { ForesightConfig } from '@foresight/config';
import { counter, type Logger } from '@foresight/observability';
import type { Registry } from 'prom-client';
import type { MembershipService } from '../membership/membership.service';
import type { SessionIndexRepository } from '../sessions/session-index.repository';
import type { SessionsService } from '../sessions/sessions.service';

export interface ExpiryDeps {
  readonly sessions: Pick<SessionsService, 'endExpired' | 'takeTouched' | 'evictIdle'>;
  readonly index: SessionIndexRepository;
  readonly membership: Pick<MembershipService, 'ownedShards'>;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
}

/**
 * Ends sessions past their idle or absolute timeout, whether or not they are in memory,
 * and flushes read activity to the session index so a new owner knows when a session was last used.
 */
export class ExpiryService {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private sweeping: Promise<void> = Promise.resolve();
  private readonly ended;
  private readonly sessions: ExpiryDeps['sessions'];
  private readonly index: SessionIndexRepository;
  private readonly membership: ExpiryDeps['membership'];
  private readonly config: ForesightConfig;
  private readonly logger: Logger;

  constructor({ sessions, index, membership, config, logger, metrics: registry }: ExpiryDeps) {
    this.sessions = sessions;
    this.index = index;
    this.membership = membership;
    this.config = config;
    this.logger = logger;
    this.ended = counter(registry, 'foresight_sessions_expired_total', 'Sessions ended by the idle or absolute timeout');
  }

  start(): void {
    this.schedule();
  }

  /** No more sweeps; waits for one running (it may be committing), then flushes read activity. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sweeping;
    await this.flushActivity();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweeping = this.sweep();
      void this.sweeping.finally(() => this.schedule());
    }, this.config.session.sweepMs);
  }

  async sweep(): Promise<void> {
    try {
      await this.flushActivity();
      let n = await this.sessions.endExpired();
      const due = await this.index.dueForExpiry(this.membership.ownedShards(), this.config.session.idleGraceMs, 500);
      if (due.length > 0) n += await this.sessions.endExpired(due);
      if (n > 0) {
        this.ended.inc(n);
        this.logger.info({ ended: n }, 'ended expired sessions');
      }
      // Activity is flushed above, so an evicted session reloads with its last use.
      this.sessions.evictIdle();
    } catch (error) {
      this.logger.warn({ err: error }, 'expiry sweep failed');
    }
  }

  private async flushActivity(): Promise<void> {
    await this.index.recordActivity(this.sessions.takeTouched());
  }
}
