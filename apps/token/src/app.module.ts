import { Module, type DynamicModule } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { tokenSubjects, type TokenPendingNotice } from '@foresight/contracts';
import { encode } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { CLOCK, LOGGER, NATS, PG_POOL, PlatformModule } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import { cryptoRandomBytes, PopulationGapModel } from '@foresight/token-core';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { ActivityRepository } from './activity/activity.repository';
import { Sealer } from './crypto/sealer';
import { TokensService } from './families/tokens.service';
import { TokenOutbox } from './events/token-outbox';
import { SigningKeys } from './keys/signing-keys';
import { SchedulerRepository } from './schedule/scheduler.repository';
import { TokenLifecycle } from './token.lifecycle';

/** Token service (issue 5): issuance, rotation, revocation, JWKS, predictive refresh. */
@Module({})
export class TokenModule {
  static register(config: ForesightConfig): DynamicModule {
    const t = config.token;
    return {
      module: TokenModule,
      imports: [PlatformModule.forRoot(config, { database: true })],
      providers: [
        { provide: Sealer, useFactory: () => new Sealer(t.encryptionKey) },
        {
          provide: SigningKeys,
          inject: [PG_POOL, Sealer, CLOCK],
          useFactory: (pool: Pool, sealer: Sealer, clock: Clock) =>
            new SigningKeys(pool, sealer, clock, { rotationMs: t.keyRotationMs, activationDelayMs: t.keyActivationDelayMs, accessTtlMs: t.accessTtlMs }),
        },
        {
          provide: TokenOutbox,
          inject: [PG_POOL, NATS, LOGGER],
          useFactory: (pool: Pool, nc: NatsConnection, logger: Logger) => new TokenOutbox(pool, nc, logger, config.nats.namespace),
        },
        {
          provide: TokensService,
          inject: [PG_POOL, SigningKeys, Sealer, TokenOutbox, CLOCK, NATS],
          useFactory: (pool: Pool, keys: SigningKeys, sealer: Sealer, outbox: TokenOutbox, clock: Clock, nc: NatsConnection) => {
            const s = tokenSubjects(config.nats.namespace);
            return new TokensService({
              pool,
              keys,
              sealer,
              outbox,
              clock,
              randomBytes: cryptoRandomBytes,
              newId: randomUUID,
              config: t,
              notify: (sessionId, familyId, generation) => nc.publish(s.tokenNotice(sessionId), encode({ familyId, generation } satisfies TokenPendingNotice)),
            });
          },
        },
        { provide: ActivityRepository, inject: [PG_POOL], useFactory: (pool: Pool) => new ActivityRepository(pool) },
        { provide: SchedulerRepository, inject: [PG_POOL], useFactory: (pool: Pool) => new SchedulerRepository(pool) },
        { provide: PopulationGapModel, useFactory: () => new PopulationGapModel() },
        TokenLifecycle,
      ],
    };
  }
}
