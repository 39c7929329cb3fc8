import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '@foresight/observability';
import { EventStore } from '@foresight/persistence';
import { HealthRegistry, LOGGER } from '@foresight/platform';
import { CacheMetricsService } from './cache/cache-metrics.service';
import { CacheNodeService } from './cache/cache-node.service';
import { InvalidationService } from './cache/invalidation.service';
import { ModelFollowerService } from './cache/model-follower.service';
import { LearnedPersistenceService } from './cache/requirements/learned-persistence.service';
import { RequirementsService } from './cache/requirements/requirements.service';
import { ExpiryService } from './expiry/expiry.service';
import { MembershipService } from './membership/membership.service';
import { EventPublisherService } from './publishing/event-publisher.service';
import { SessionsRpc } from './sessions/sessions.rpc';
import { SessionsService } from './sessions/sessions.service';

/**
 * Start and stop in a safe order. Start: stream, RPC, membership (shards arrive), sweepers.
 * Stop: no new requests → running commands finish → events published → leave the cluster
 * (shards move at once instead of after the lease) → then the platform drains NATS.
 */
@Injectable()
export class ShardLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly rpc: SessionsRpc,
    private readonly sessions: SessionsService,
    private readonly membership: MembershipService,
    private readonly publisher: EventPublisherService,
    private readonly expiry: ExpiryService,
    private readonly store: EventStore,
    private readonly health: HealthRegistry,
    private readonly cache: CacheNodeService,
    private readonly cacheMetrics: CacheMetricsService,
    private readonly invalidation: InvalidationService,
    private readonly requirements: RequirementsService,
    private readonly learned: LearnedPersistenceService,
    private readonly models: ModelFollowerService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.publisher.start();
    // Predictive cache first: requirements loaded and invalidations heard before the first request.
    this.sessions.onSessionEnded((id) => this.cache.endSession(id));
    this.sessions.onSessionLoaded((s) => this.cache.restoreHistory(s.id, s.recentActions ?? []));
    this.invalidation.start();
    await this.requirements.start();
    await this.learned.start();
    this.models.start();
    this.cacheMetrics.start();
    this.rpc.start();
    await this.membership.start();
    this.expiry.start();
    this.health.add('membership', async () => {
      if (this.membership.ownedShards().length === 0) this.logger.debug('no shards owned yet');
    });
    this.logger.info({ subject: this.membership.rpcSubject, shards: this.membership.ownedShards().length }, 'shard node ready');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.rpc.stop();
    await this.sessions.idle();
    this.cache.stop();
    await this.learned.stop();
    this.models.stop();
    await this.requirements.stop();
    this.invalidation.stop();
    this.cacheMetrics.stop();
    await this.expiry.stop();
    await this.store.close();
    await this.publisher.flush();
    await this.membership.stop(true);
    this.logger.info('shard node stopped cleanly');
  }
}
