import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { consumerHealthProbe } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { CLOCK, CONFIG, HealthRegistry, LOGGER, NATS } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { AccessTokenVerifier } from './access-token-verifier';
import { JwksCache } from './jwks-cache';
import { RefreshLimits } from './refresh-limits';
import { RevocationCache } from './revocation-cache';
import { SessionAuthGuard } from './session-auth.guard';
import { TokenClient } from './token-client';
import { TokenSocketService } from './token-socket.service';

/** Starts the revocation cache before the gateway serves, and stops it last. */
@Injectable()
class TokensLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly revocations: RevocationCache,
    private readonly limits: RefreshLimits,
    private readonly health: HealthRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.revocations.start();
    const following = consumerHealthProbe(this.revocations);
    this.health.add('token-revocations', async () => {
      await following();
      if (!this.revocations.ready) throw new Error('still loading recent revocations');
    });
    this.timer = setInterval(() => this.limits.prune(this.clock.now()), 30_000);
    this.timer.unref();
    this.logger.info('token revocation cache following token.revoked');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.revocations.stop();
  }
}

/**
 * The gateway's token features: JWKS cache, revocation cache (L1), access-token verification,
 * the combined session guard, refresh rate limits, and WebSocket push of pre-minted pairs.
 * `TokensController` is registered by the gateway module (it routes through the ShardClient).
 */
@Module({
  providers: [
    {
      provide: TokenClient,
      inject: [NATS, CONFIG],
      useFactory: (nc: NatsConnection, config: ForesightConfig) => new TokenClient(nc, config.nats.namespace, config.nats.requestTimeoutMs),
    },
    {
      provide: JwksCache,
      inject: [TokenClient, CLOCK, CONFIG],
      useFactory: (tokens: TokenClient, clock: Clock, config: ForesightConfig) => new JwksCache(() => tokens.call('jwks', {}), clock, config.token.jwksCacheMs),
    },
    {
      provide: RevocationCache,
      inject: [NATS, CONFIG, CLOCK, LOGGER],
      useFactory: (nc: NatsConnection, config: ForesightConfig, clock: Clock, logger: Logger) =>
        new RevocationCache(nc, { namespace: config.nats.namespace, replicas: config.nats.jetStreamReplicas, retainMs: config.token.accessTtlMs + 120_000, clock }, logger),
    },
    {
      provide: AccessTokenVerifier,
      inject: [JwksCache, RevocationCache, CLOCK, CONFIG],
      useFactory: (jwks: JwksCache, revocations: RevocationCache, clock: Clock, config: ForesightConfig) =>
        new AccessTokenVerifier(jwks, (claims) => revocations.isRevoked(claims), clock, config.token),
    },
    { provide: RefreshLimits, inject: [CONFIG], useFactory: (config: ForesightConfig) => new RefreshLimits(config.token.rateLimit) },
    SessionAuthGuard,
    TokenSocketService,
    TokensLifecycle,
  ],
  exports: [TokenClient, JwksCache, RevocationCache, AccessTokenVerifier, RefreshLimits, SessionAuthGuard],
})
export class TokensModule {}
