import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { consumerHealthProbe } from '@foresight/messaging';
import { HealthRegistry } from '@foresight/platform';
import { TokenRuntime } from './token.runtime';

/** Adapts the framework-free runtime to Nest's start and stop hooks, and adds its health checks. */
@Injectable()
export class TokenLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(TokenRuntime) private readonly runtime: TokenRuntime,
    private readonly health: HealthRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
    this.health.add('signing-key', async () => {
      if (!this.runtime.keys.ring().current) throw new Error('no active signing key');
    });
    this.health.add('session-activity-consumer', consumerHealthProbe(this.runtime.consumer));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
