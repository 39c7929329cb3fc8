import { Module, type DynamicModule } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { EventStore } from '@foresight/persistence';
import { PG_POOL, PlatformModule } from '@foresight/platform';
import type { Pool } from 'pg';
import { CacheMetricsService } from './cache/cache-metrics.service';
import { CacheNodeService } from './cache/cache-node.service';
import { CacheRpc } from './cache/cache.rpc';
import { InvalidationService } from './cache/invalidation.service';
import { ModelFollowerService } from './cache/model-follower.service';
import { LearnedPersistenceService } from './cache/requirements/learned-persistence.service';
import { LearnedRepository } from './cache/requirements/learned.repository';
import { RequirementsRepository } from './cache/requirements/requirements.repository';
import { RequirementsService } from './cache/requirements/requirements.service';
import { ExpiryService } from './expiry/expiry.service';
import { SessionIndexRepository } from './expiry/session-index.repository';
import { MembershipService } from './membership/membership.service';
import { EventPublisherService } from './publishing/event-publisher.service';
import { SessionsRpc } from './sessions/sessions.rpc';
import { SessionsService } from './sessions/sessions.service';
import { ShardLifecycle } from './shard.lifecycle';

@Module({})
export class ShardModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: ShardModule,
      imports: [PlatformModule.forRoot(config, { database: true })],
      providers: [
        { provide: EventStore, inject: [PG_POOL], useFactory: (pool: Pool) => new EventStore(pool, config.cluster.nodeId, config.store.maxBatch) },
        MembershipService,
        EventPublisherService,
        SessionIndexRepository,
        SessionsService,
        CacheNodeService,
        CacheRpc,
        CacheMetricsService,
        InvalidationService,
        ModelFollowerService,
        RequirementsRepository,
        RequirementsService,
        LearnedRepository,
        LearnedPersistenceService,
        SessionsRpc,
        ExpiryService,
        ShardLifecycle,
      ],
    };
  }
}
