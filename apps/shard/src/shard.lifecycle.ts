import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '@foresight/observability';
import { HealthRegistry, LOGGER } from '@foresight/platform';
import { ShardRuntime } from './shard.runtime';

/** Starts and stops the shard runtime from Nest's hooks (the order is the runtime's), and reports membership in /health. */
@Injectable()
export class ShardLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly runtime: ShardRuntime,
    private readonly health: HealthRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
    this.health.add('membership', async () => {
      if (this.runtime.membership.ownedShards().length === 0) this.logger.debug('no shards owned yet');
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
