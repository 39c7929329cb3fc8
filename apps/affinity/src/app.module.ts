import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import { CLOCK, LOGGER, METRICS, NATS, PG_POOL, PlatformModule } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { AffinityLifecycle } from './affinity.lifecycle';
import { AffinityRpcController } from './affinity.rpc';
import { AffinityRuntime } from './affinity.runtime';
import { AffinityService } from './routing/affinity.service';

/** What the controllers take from the runtime (also used by tests that serve them without the app). */
export const affinityRuntimeParts: Provider[] = [{ provide: AffinityService, inject: [AffinityRuntime], useFactory: (rt: AffinityRuntime) => rt.affinity }];

/** Affinity service: edge registry, session affinity records and weights, routing decisions. */
@Module({})
export class AffinityModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: AffinityModule,
      imports: [PlatformModule.forRoot(config, { database: true })],
      controllers: [AffinityRpcController],
      providers: [
        {
          provide: AffinityRuntime,
          inject: [PG_POOL, NATS, LOGGER, CLOCK, METRICS],
          useFactory: (pool: Pool, nc: NatsConnection, logger: Logger, clock: Clock, metrics: Registry) =>
            new AffinityRuntime({ config, pool, nc, logger, clock, metrics }),
        },
        ...affinityRuntimeParts,
        AffinityLifecycle,
      ],
    };
  }
}
