import { Module, type DynamicModule } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import { CLOCK, LOGGER, METRICS, NATS, PG_POOL, PlatformModule } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { PredictionLifecycle } from './prediction.lifecycle';
import { PredictionRuntime } from './prediction.runtime';

/** Prediction service (issue 3): online Markov + user blend, stored RNN/ensemble models, predict over NATS. */
@Module({})
export class PredictionModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: PredictionModule,
      imports: [PlatformModule.forRoot(config, { database: true })],
      providers: [
        {
          provide: PredictionRuntime,
          inject: [PG_POOL, NATS, LOGGER, CLOCK, METRICS],
          useFactory: (pool: Pool, nc: NatsConnection, logger: Logger, clock: Clock, metrics: Registry) =>
            new PredictionRuntime({ config, pool, nc, logger, clock, metrics }),
        },
        PredictionLifecycle,
      ],
    };
  }
}
