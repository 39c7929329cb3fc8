import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import { CLOCK, LOGGER, METRICS, NATS, PG_POOL, PlatformModule } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { MetadataLifecycle } from './metadata.lifecycle';
import { MetadataRpcController } from './metadata.rpc';
import { MetadataRuntime } from './metadata.runtime';
import { MetadataService } from './metadata.service';

/** What the controllers take from the runtime (also used by tests that serve them without the app). */
export const metadataRuntimeParts: Provider[] = [{ provide: MetadataService, inject: [MetadataRuntime], useFactory: (rt: MetadataRuntime) => rt.metadata }];

/** Metadata service: node registry, leases, shard ownership with fencing epochs, stream declarations. */
@Module({})
export class MetadataModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: MetadataModule,
      imports: [PlatformModule.forRoot(config, { database: true })],
      controllers: [MetadataRpcController],
      providers: [
        {
          provide: MetadataRuntime,
          inject: [PG_POOL, NATS, LOGGER, CLOCK, METRICS],
          useFactory: (pool: Pool, nc: NatsConnection, logger: Logger, clock: Clock, metrics: Registry) =>
            new MetadataRuntime({ config, pool, nc, logger, clock, metrics }),
        },
        ...metadataRuntimeParts,
        MetadataLifecycle,
      ],
    };
  }
}
