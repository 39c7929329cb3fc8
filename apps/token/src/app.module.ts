import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import { CLOCK, LOGGER, METRICS, NATS, PG_POOL, PlatformModule } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { TokensService } from './families/tokens.service';
import { SigningKeys } from './keys/signing-keys';
import { TokenStats } from './rpc/token-stats';
import { TokenRpcController } from './rpc/tokens.rpc';
import { LiveSessions } from './sessions/live-sessions';
import { TokenLifecycle } from './token.lifecycle';
import { TokenRuntime } from './token.runtime';

/** What the controllers take from the runtime (also used by tests that serve them without the app). */
export const tokenRuntimeParts: Provider[] = [
  { provide: TokensService, inject: [TokenRuntime], useFactory: (rt: TokenRuntime) => rt.tokens },
  { provide: SigningKeys, inject: [TokenRuntime], useFactory: (rt: TokenRuntime) => rt.keys },
  { provide: LiveSessions, inject: [TokenRuntime], useFactory: (rt: TokenRuntime) => rt.sessions },
  { provide: TokenStats, inject: [TokenRuntime], useFactory: (rt: TokenRuntime) => rt.stats },
];

/** Token service: issuance, rotation, revocation, JWKS, predictive refresh. */
@Module({})
export class TokenModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: TokenModule,
      imports: [PlatformModule.forRoot(config, { database: true })],
      controllers: [TokenRpcController],
      providers: [
        {
          provide: TokenRuntime,
          inject: [PG_POOL, NATS, LOGGER, CLOCK, METRICS],
          useFactory: (pool: Pool, nc: NatsConnection, logger: Logger, clock: Clock, metrics: Registry) =>
            new TokenRuntime({ config, pool, nc, logger, clock, metrics }),
        },
        ...tokenRuntimeParts,
        TokenLifecycle,
      ],
    };
  }
}
