import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { streamDeclarations } from '@foresight/contracts';
import { consumerHealthProbe, useStream } from '@foresight/messaging';
import { counter, gauge, histogram, type Logger } from '@foresight/observability';
import { AdvisoryLeadership } from '@foresight/persistence';
import { CLOCK, CONFIG, HealthRegistry, LOGGER, METRICS, NATS, PG_POOL } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { Pool } from 'pg';
import { PopulationGapModel } from '@foresight/token-core';
import type { NatsConnection, Subscription } from 'nats';
import type { Registry } from 'prom-client';
import { ActivityRepository } from './activity/activity.repository';
import { SessionActivityConsumer } from './activity/session-activity.consumer';
import { TokenOutbox } from './events/token-outbox';
import { TokensService } from './families/tokens.service';
import { SigningKeys } from './keys/signing-keys';
import { serveTokenRpc } from './rpc/tokens.rpc';
import { LiveSessions } from './sessions/live-sessions';
import { RefreshScheduler } from './schedule/refresh-scheduler';
import { SchedulerRepository } from './schedule/scheduler.repository';

const KEY_RELOAD_MS = 10_000;
const HOUSEKEEPING_MS = 60_000;

/**
 * Start: token stream, signing keys (created on first start), RPC, session-activity consumer,
 * scheduler. Stop in reverse: no new requests, the consumer drains, the scheduler finishes its round.
 */
@Injectable()
export class TokenLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private rpc: Subscription | null = null;
  private consumer: SessionActivityConsumer | null = null;
  private scheduler: RefreshScheduler | null = null;
  private keyTimer: NodeJS.Timeout | null = null;
  private lastCleanup = 0;

  constructor(
    private readonly tokens: TokensService,
    private readonly keys: SigningKeys,
    private readonly outbox: TokenOutbox,
    private readonly activity: ActivityRepository,
    private readonly schedulerRepo: SchedulerRepository,
    private readonly population: PopulationGapModel,
    private readonly health: HealthRegistry,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Registry,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await useStream(this.nc, streamDeclarations(this.config.nats.namespace).tokens, this.config.nats.jetStreamReplicas, { logger: this.logger });
    const created = await this.keys.rotateIfDue();
    if (created) this.logger.info({ kid: created }, 'created a signing key');
    await this.keys.load();
    this.health.add('signing-key', async () => {
      if (!this.keys.ring().current) throw new Error('no active signing key');
    });
    this.scheduleKeyReload();

    const latency = histogram(this.metrics, 'foresight_token_rpc_seconds', 'Token service request latency', ['op', 'ok']);
    const sessions = new LiveSessions(this.pool, { idSecret: this.config.session.idSecret, idleGraceMs: this.config.session.idleGraceMs });
    this.rpc = serveTokenRpc(this.nc, this.config.nats.namespace, this.tokens, this.keys, sessions, this.logger, (op, ms, ok) =>
      latency.observe({ op, ok: String(ok) }, ms / 1000),
    );

    const events = counter(this.metrics, 'foresight_token_activity_events_total', 'Session events consumed as activity', ['type']);
    this.consumer = new SessionActivityConsumer({
      nc: this.nc,
      namespace: this.config.nats.namespace,
      activity: this.activity,
      population: this.population,
      revokeSession: (sessionId, correlationId, causationId) => this.tokens.revoke(sessionId, undefined, 'session-ended', { correlationId, causationId }),
      logger: this.logger,
      onEvent: (type) => events.inc({ type }),
      metrics: this.metrics,
      clock: this.clock,
    });
    this.health.add('session-activity-consumer', consumerHealthProbe(this.consumer));
    await this.consumer.start();

    const leaderGauge = gauge(this.metrics, 'foresight_token_scheduler_leader', '1 when this instance runs the refresh scheduler');
    const planned = counter(this.metrics, 'foresight_token_scheduled_total', 'Scheduler decisions', ['action']);
    const leadership = new AdvisoryLeadership({ databaseUrl: this.config.database.url, lock: 'tokenScheduler', applicationName: 'foresight-token-leader' });
    leadership.onChange((leader) => {
      leaderGauge.set(leader ? 1 : 0);
      this.logger.info({ leader }, leader ? 'running the refresh scheduler' : 'stepped down as refresh scheduler');
    });
    this.scheduler = new RefreshScheduler({
      leader: leadership,
      repo: this.schedulerRepo,
      rotateAhead: (familyId, generation, ctx) => this.tokens.rotateAhead(familyId, generation, ctx),
      population: this.population,
      clock: this.clock,
      config: this.config,
      logger: this.logger,
      housekeeping: (now) => this.housekeeping(now),
      onTick: (r) => {
        planned.inc({ action: 'refreshed' }, r.refreshed);
        planned.inc({ action: 'let-expire' }, r.letExpire);
      },
    });
    this.scheduler.start();
    this.logger.info({ kid: this.keys.ring().current?.kid }, 'token service ready');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.rpc?.drain().catch(() => undefined);
    await this.consumer?.stop();
    await this.scheduler?.stop();
    if (this.keyTimer) clearTimeout(this.keyTimer);
  }

  private scheduleKeyReload(): void {
    this.keyTimer = setTimeout(() => {
      void this.keys
        .load()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'could not reload signing keys'))
        .finally(() => this.scheduleKeyReload());
    }, KEY_RELOAD_MS);
  }

  /** Leader only: republish stranded events every round; rotate keys and drop dead state every minute. */
  private async housekeeping(now: number): Promise<void> {
    await this.outbox.sweep(2000);
    if (now - this.lastCleanup < HOUSEKEEPING_MS) return;
    this.lastCleanup = now;
    const kid = await this.keys.rotateIfDue();
    if (kid) {
      this.logger.info({ kid }, 'rotated the signing key (published now, signs after the activation delay)');
      await this.keys.load();
    }
    const t = this.config.token;
    const removed = await this.schedulerRepo.cleanup(Math.max(t.accessTtlMs, 86_400_000));
    const activity = await this.activity.cleanup(this.config.session.absoluteTimeoutMs);
    if (removed.families + removed.sealed + activity > 0) this.logger.info({ ...removed, activity }, 'token housekeeping');
  }
}
