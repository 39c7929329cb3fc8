import { longestAccessTokenMs, type ForesightConfig } from '@foresight/config';
import { streamDeclarations, tokenSubjects, type TokenPendingNotice } from '@foresight/contracts';
import { encode, useStream } from '@foresight/messaging';
import { counter, gauge, histogram, type Logger } from '@foresight/observability';
import { shardOf } from '@foresight/hashing';
import { AdvisoryLeadership, asServiceError, openStorePartitions, type StorePartitions } from '@foresight/persistence';
import { ForesightRpcTransport } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import { cryptoRandomBytes, PushLedger, ReturnModel } from '@foresight/token-core';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { ActivityRepository } from './activity/activity.repository';
import { SessionActivityConsumer } from './activity/session-activity.consumer';
import { Sealer } from './crypto/sealer';
import { TokenOutbox } from './events/token-outbox';
import { TokensService } from './families/tokens.service';
import { SigningKeys } from './keys/signing-keys';
import { TokenStats } from './rpc/token-stats';
import { tokenEndpoints } from './rpc/tokens.rpc';
import { RefreshScheduler } from './schedule/refresh-scheduler';
import { SchedulerRepository } from './schedule/scheduler.repository';
import { PushOutcomes } from './schedule/push-outcomes';
import { processReader, ServiceLoad } from './schedule/service-load';
import { LiveSessions } from './sessions/live-sessions';

const KEY_RELOAD_MS = 10_000;
const HOUSEKEEPING_MS = 60_000;

export interface TokenRuntimeDeps {
  readonly config: ForesightConfig;
  readonly pool: Pool;
  readonly nc: NatsConnection;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
}

/**
 * The token service without Nest: signing keys, token families, the outbox, the request/reply API,
 * the session-activity consumer and the predictive refresh scheduler. Start: token stream, signing
 * keys (created on first start), requests, consumer, scheduler. Stop in reverse: no new requests,
 * the consumer drains, the scheduler finishes its round.
 */
export class TokenRuntime {
  readonly sealer: Sealer;
  readonly keys: SigningKeys;
  readonly outbox: TokenOutbox;
  readonly tokens: TokensService;
  readonly sessions: LiveSessions;
  private readonly storePartitions: StorePartitions;
  readonly activity: ActivityRepository;
  readonly schedulerRepo: SchedulerRepository;
  readonly population: ReturnModel;
  /** The scheduler's push decisions, one per token, calibrated by their outcomes. */
  readonly pushes = new PushLedger();
  private readonly outcomes: PushOutcomes;
  /** The service's measured and forecast load, which sets the lifetime of new access tokens. */
  readonly load: ServiceLoad;
  /** Scheduler decisions since start (this instance, while it leads). */
  readonly decisions = { refreshed: 0, letExpire: 0 };
  readonly stats: TokenStats;
  readonly consumer: SessionActivityConsumer;
  readonly scheduler: RefreshScheduler;
  /** Every token op over NATS; the handlers are TokenRpcController's. */
  readonly rpc: ForesightRpcTransport;
  private keyTimer: NodeJS.Timeout | null = null;
  private loadTimer: NodeJS.Timeout | null = null;
  private loadReader: ReturnType<typeof processReader> | null = null;
  private lastCleanup = 0;

  constructor(private readonly deps: TokenRuntimeDeps) {
    const { config, pool, nc, logger, clock, metrics } = deps;
    const t = config.token;
    const s = tokenSubjects(config.nats.namespace);
    this.sealer = new Sealer(t.encryptionKey);
    this.keys = new SigningKeys(pool, this.sealer, clock, {
      rotationMs: t.keyRotationMs,
      activationDelayMs: t.keyActivationDelayMs,
      // A retired key keeps verifying for as long as the longest token it signed can live.
      accessTtlMs: longestAccessTokenMs(t),
    });
    this.outbox = new TokenOutbox(pool, nc, logger, config.nats.namespace);
    this.load = new ServiceLoad(t.schedulerBucketMs, t.loadSeasonMs, { baseTtlMs: t.accessTtlMs, maxTtlMs: t.maxAccessTtlMs }, clock.now());
    this.tokens = new TokensService({
      pool,
      keys: this.keys,
      sealer: this.sealer,
      outbox: this.outbox,
      clock,
      randomBytes: cryptoRandomBytes,
      newId: randomUUID,
      config: t,
      load: this.load,
      notify: (sessionId, familyId, generation) => nc.publish(s.tokenNotice(sessionId), encode({ familyId, generation } satisfies TokenPendingNotice)),
    });
    // The session index is on each session's event store partition (the primary unless EVENT_STORE_PARTITIONS says otherwise).
    this.storePartitions = openStorePartitions(
      config.database.partitions,
      { url: config.database.url, pool },
      { poolSize: Math.max(2, Math.ceil(config.database.poolSize / 2)), applicationName: `foresight-${config.service}`, ssl: config.database.ssl },
      (sessionId) => shardOf(sessionId, config.cluster.shardCount),
    );
    this.sessions = new LiveSessions(this.storePartitions, { idSecret: config.session.idSecret, idleGraceMs: config.session.idleGraceMs });
    this.activity = new ActivityRepository(pool);
    this.schedulerRepo = new SchedulerRepository(pool);
    this.population = new ReturnModel();
    const outcomes = counter(metrics, 'foresight_token_push_decisions_total', 'Settled push decisions, by outcome', ['outcome']);
    this.outcomes = new PushOutcomes(this.pushes, pool, logger, (outcome) => outcomes.inc({ outcome }));
    this.stats = new TokenStats(this.load, this.decisions);

    const latency = histogram(metrics, 'foresight_token_rpc_seconds', 'Token service request latency', ['op', 'ok']);
    this.rpc = new ForesightRpcTransport({
      nc,
      endpoints: tokenEndpoints(config.nats.namespace),
      logger,
      mapError: asServiceError,
      onRequest: (_endpoint, op, ms, ok) => latency.observe({ op, ok: String(ok) }, ms / 1000),
    });

    const events = counter(metrics, 'foresight_token_activity_events_total', 'Session events consumed as activity', ['type']);
    this.consumer = new SessionActivityConsumer({
      nc,
      namespace: config.nats.namespace,
      activity: this.activity,
      population: this.population,
      revokeSession: (sessionId, correlationId, causationId) => this.tokens.revoke(sessionId, undefined, 'session-ended', { correlationId, causationId }),
      logger,
      onEvent: (type) => events.inc({ type }),
      metrics,
      clock,
    });

    const leaderGauge = gauge(metrics, 'foresight_token_scheduler_leader', '1 when this instance runs the refresh scheduler');
    const planned = counter(metrics, 'foresight_token_scheduled_total', 'Scheduler decisions', ['action']);
    const leadership = new AdvisoryLeadership({
      databaseUrl: config.database.url,
      ssl: config.database.ssl,
      lock: 'tokenScheduler',
      applicationName: 'foresight-token-leader',
    });
    leadership.onChange((leader) => {
      leaderGauge.set(leader ? 1 : 0);
      logger.info({ leader }, leader ? 'running the refresh scheduler' : 'stepped down as refresh scheduler');
    });
    this.scheduler = new RefreshScheduler({
      leader: leadership,
      repo: this.schedulerRepo,
      rotateAhead: (familyId, generation, ctx) => this.tokens.rotateAhead(familyId, generation, ctx),
      population: this.population,
      pushes: this.pushes,
      settle: (now) => this.outcomes.settle(now),
      clock,
      config,
      logger,
      housekeeping: (now) => this.housekeeping(now),
      onTick: (r) => {
        planned.inc({ action: 'refreshed' }, r.refreshed);
        planned.inc({ action: 'let-expire' }, r.letExpire);
        this.decisions.refreshed += r.refreshed;
        this.decisions.letExpire += r.letExpire;
      },
    });
  }

  async start(): Promise<void> {
    const { config, nc, logger } = this.deps;
    await useStream(nc, streamDeclarations(config.nats.namespace).tokens, config.nats.jetStreamReplicas, { logger });
    const created = await this.keys.rotateIfDue();
    if (created) logger.info({ kid: created }, 'created a signing key');
    await this.keys.load();
    this.scheduleKeyReload();
    this.sampleLoad();
    this.rpc.open();
    await this.consumer.start();
    this.scheduler.start();
    logger.info({ kid: this.keys.ring().current?.kid }, 'token service ready');
  }

  async stop(): Promise<void> {
    await this.rpc.close();
    await this.consumer.stop();
    await this.scheduler.stop();
    if (this.keyTimer) clearTimeout(this.keyTimer);
    if (this.loadTimer) clearInterval(this.loadTimer);
    this.loadReader?.stop();
    await this.storePartitions.close();
  }

  /** Measures this process's CPU time and event-loop delay once per scheduler bucket. */
  private sampleLoad(): void {
    this.loadReader = processReader();
    const reader = this.loadReader;
    this.loadTimer = setInterval(() => this.load.sample(this.deps.clock.now(), reader.read()), this.load.bucketMs);
    this.loadTimer.unref();
  }

  private scheduleKeyReload(): void {
    this.keyTimer = setTimeout(() => {
      void this.keys
        .load()
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not reload signing keys'))
        .finally(() => this.scheduleKeyReload());
    }, KEY_RELOAD_MS);
  }

  /** Leader only: republish stranded events every round; rotate keys and drop dead state every minute. */
  private async housekeeping(now: number): Promise<void> {
    const { config, logger } = this.deps;
    await this.outbox.sweep(2000);
    if (now - this.lastCleanup < HOUSEKEEPING_MS) return;
    this.lastCleanup = now;
    const kid = await this.keys.rotateIfDue();
    if (kid) {
      logger.info({ kid }, 'rotated the signing key (published now, signs after the activation delay)');
      await this.keys.load();
    }
    const t = config.token;
    const removed = await this.schedulerRepo.cleanup(Math.max(t.accessTtlMs, 86_400_000));
    const activity = await this.activity.cleanup(config.session.absoluteTimeoutMs);
    if (removed.families + removed.sealed + activity > 0) logger.info({ ...removed, activity }, 'token housekeeping');
  }
}
