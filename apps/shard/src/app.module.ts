import { Module, type DynamicModule } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import { CLOCK, CONFIG, LOGGER, METRICS, NATS, PG_POOL, PlatformModule } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { CacheOps } from './cache/cache-ops';
import { CacheController } from './cache/cache.controller';
import { RequirementsController } from './cache/requirements/requirements.controller';
import { RequirementsService } from './cache/requirements/requirements.service';
import { MembershipController } from './membership/membership.controller';
import { MembershipService } from './membership/membership.service';
import { LockOps } from './sessions/lock-ops';
import { LocksController } from './sessions/locks.controller';
import { SessionOps } from './sessions/session-ops';
import { SessionsController } from './sessions/sessions.controller';
import { ShardLifecycle } from './shard.lifecycle';
import { ShardRuntime } from './shard.runtime';

/** Nest at the edge: the runtime from the platform's pieces, the `@RpcOp` controllers, the lifecycle. */
@Module({})
export class ShardModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: ShardModule,
      imports: [PlatformModule.forRoot(config, { database: true })],
      controllers: [SessionsController, LocksController, CacheController, RequirementsController, MembershipController],
      providers: [
        {
          provide: ShardRuntime,
          inject: [CONFIG, PG_POOL, NATS, LOGGER, CLOCK, METRICS],
          useFactory: (config: ForesightConfig, pool: Pool, nc: NatsConnection, logger: Logger, clock: Clock, metrics: Registry) =>
            new ShardRuntime({ config, pool, nc, logger, clock, metrics }),
        },
        { provide: MembershipService, inject: [ShardRuntime], useFactory: (rt: ShardRuntime) => rt.membership },
        { provide: SessionOps, inject: [ShardRuntime], useFactory: (rt: ShardRuntime) => rt.sessionOps },
        { provide: LockOps, inject: [ShardRuntime], useFactory: (rt: ShardRuntime) => rt.lockOps },
        { provide: CacheOps, inject: [ShardRuntime], useFactory: (rt: ShardRuntime) => rt.cacheOps },
        { provide: RequirementsService, inject: [ShardRuntime], useFactory: (rt: ShardRuntime) => rt.requirements },
        ShardLifecycle,
      ],
    };
  }
}
