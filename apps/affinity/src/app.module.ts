import { Module, type DynamicModule } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import { CLOCK, LOGGER, METRICS, NATS, PlatformModule } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { AffinityLifecycle } from './affinity.lifecycle';
import { AffinityRuntime } from './affinity.runtime';

/** Affinity service: boots, connects to NATS, serves /health and /metrics; its features plug into the runtime. */
@Module({})
export class AffinityModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: AffinityModule,
      imports: [PlatformModule.forRoot(config, { database: false })],
      providers: [
        {
          provide: AffinityRuntime,
          inject: [NATS, LOGGER, CLOCK, METRICS],
          useFactory: (nc: NatsConnection, logger: Logger, clock: Clock, metrics: Registry) => new AffinityRuntime({ config, nc, logger, clock, metrics }),
        },
        AffinityLifecycle,
      ],
    };
  }
}
