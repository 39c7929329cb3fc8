import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { consumerHealthProbe } from '@foresight/messaging';
import { HealthRegistry } from '@foresight/platform';
import { PredictionRuntime } from './prediction.runtime';

/** Adapts the framework-free runtime to Nest's start and stop hooks. */
@Injectable()
export class PredictionLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(PredictionRuntime) private readonly runtime: PredictionRuntime,
    private readonly health: HealthRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
    this.health.add('prediction-model', async () => {
      if (this.runtime.rebuilt === null) throw new Error('online model not rebuilt yet');
    });
    this.health.add('action-consumer', consumerHealthProbe({ state: () => this.runtime.consumerState() }));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
