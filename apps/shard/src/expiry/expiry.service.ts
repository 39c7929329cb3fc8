import { Inject, Injectable } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { counter, type Logger } from '@foresight/observability';
import { CONFIG, LOGGER, METRICS } from '@foresight/platform';
import type { Registry } from 'prom-client';
import { MembershipService } from '../membership/membership.service';
import { SessionsService } from '../sessions/sessions.service';
import { SessionIndexRepository } from './session-index.repository';

/**
 * Ends sessions past their idle or absolute timeout (S1), whether or not they are in memory,
 * and flushes read activity to the session index so a new owner knows when a session was last used.
 */
@Injectable()
export class ExpiryService {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly ended;

  constructor(
    private readonly sessions: SessionsService,
    private readonly index: SessionIndexRepository,
    private readonly membership: MembershipService,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) registry: Registry,
  ) {
    this.ended = counter(registry, 'foresight_sessions_expired_total', 'Sessions ended by the idle or absolute timeout');
  }

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.flushActivity();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.sweep().finally(() => this.schedule()), this.config.session.sweepMs);
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
    } catch (error) {
      this.logger.warn({ err: error }, 'expiry sweep failed');
    }
  }

  private async flushActivity(): Promise<void> {
    await this.index.recordActivity(this.sessions.takeTouched());
  }
}
