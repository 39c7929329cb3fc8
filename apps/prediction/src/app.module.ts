import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import { CLOCK, LOGGER, METRICS, NATS, PG_POOL, PlatformModule } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { ModelRegistry } from './models/model-registry';
import { PredictionLifecycle } from './prediction.lifecycle';
import { PredictionRuntime } from './prediction.runtime';
import { PredictionRpcController } from './serving/prediction.rpc';
import { Predictor } from './serving/predictor';

/** What the controllers take from the runtime (also used by tests that serve them without the app). */
export const predictionRuntimeParts: Provider[] = [
  { provide: Predictor, inject: [PredictionRuntime], useFactory: (rt: PredictionRuntime) => rt.predictor },
  { provide: ModelRegistry, inject: [PredictionRuntime], useFactory: (rt: PredictionRuntime) => rt.registry },
];

/** Prediction service: online Markov + user blend, stored RNN/ensemble models, predict over NATS. */
@Module({})
export class PredictionModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: PredictionModule,
      imports: [PlatformModule.forRoot(config, { database: true })],
      controllers: [PredictionRpcController],
      providers: [
        {
          provide: PredictionRuntime,
          inject: [PG_POOL, NATS, LOGGER, CLOCK, METRICS],
          useFactory: (pool: Pool, nc: NatsConnection, logger: Logger, clock: Clock, metrics: Registry) =>
            new PredictionRuntime({ config, pool, nc, logger, clock, metrics }),
        },
        ...predictionRuntimeParts,
        PredictionLifecycle,
      ],
    };
  }
}
